import { OrreryError } from '@orrery/errors';

/**
 * Every failure raised by @orrery/agents is an {@link AgentsError} with a stable `code` callers can
 * switch on. The underlying failure (a moon's exception, a zod issue list…) travels as `cause`.
 */
export const AgentsErrorCode = {
  INVALID_INPUT: 'ORRERY_AGENTS_INVALID_INPUT',
  INVALID_CONFIG: 'ORRERY_AGENTS_INVALID_CONFIG',
  INVALID_SPEC: 'ORRERY_AGENTS_INVALID_SPEC',
  UNKNOWN_PLANET: 'ORRERY_AGENTS_UNKNOWN_PLANET',
  PLANET_TIMEOUT: 'ORRERY_AGENTS_PLANET_TIMEOUT',
  REASONING_FAILED: 'ORRERY_AGENTS_REASONING_FAILED',
  ESCALATED: 'ORRERY_AGENTS_ESCALATED',
  STOPPED: 'ORRERY_AGENTS_STOPPED',
  LEARNING_INVALID: 'ORRERY_AGENTS_LEARNING_INVALID',
  LEARNING_NOT_FOUND: 'ORRERY_AGENTS_LEARNING_NOT_FOUND',
} as const;

/** One of {@link AgentsErrorCode}'s values. */
export type AgentsErrorCode = (typeof AgentsErrorCode)[keyof typeof AgentsErrorCode];

/** Base of every @orrery/agents error. `instanceof` works across duplicate copies of the package. */
export class AgentsError extends OrreryError<AgentsErrorCode> {
  static override readonly brand: string = 'orrery.agents.AgentsError';
}

/** A bar, portfolio or cycle input is malformed. `field` names what was wrong. */
export class InvalidInputError extends AgentsError {
  readonly field: string;

  constructor(message: string, opts: ErrorOptions & { field: string }) {
    super(AgentsErrorCode.INVALID_INPUT, message, opts);
    this.name = 'InvalidInputError';
    this.field = opts.field;
  }
}

/** The solar-system configuration failed validation. `issues` lists each offending path. */
export class InvalidConfigError extends AgentsError {
  readonly issues: readonly { path: string; message: string }[];

  constructor(
    message: string,
    opts: ErrorOptions & { issues: readonly { path: string; message: string }[] },
  ) {
    super(AgentsErrorCode.INVALID_CONFIG, message, opts);
    this.name = 'InvalidConfigError';
    this.issues = opts.issues;
  }
}

/** A declarative planet spec is invalid. `issues` lists each offending path of the spec. */
export class InvalidPlanetSpecError extends AgentsError {
  readonly issues: readonly { path: string; message: string }[];

  constructor(
    message: string,
    opts: ErrorOptions & { issues: readonly { path: string; message: string }[] },
  ) {
    super(AgentsErrorCode.INVALID_SPEC, message, opts);
    this.name = 'InvalidPlanetSpecError';
    this.issues = opts.issues;
  }
}

/** `createPlanet` was asked for a kind it does not know. */
export class UnknownPlanetError extends AgentsError {
  readonly kind: string;

  constructor(kind: string, known: readonly string[]) {
    super(AgentsErrorCode.UNKNOWN_PLANET, `unknown planet kind '${kind}' (known: ${known.join(', ')})`);
    this.name = 'UnknownPlanetError';
    this.kind = kind;
  }
}

/** A planet did not report within its time limit; it has failed for this cycle. */
export class PlanetTimeoutError extends AgentsError {
  readonly planet: string;
  readonly timeoutMs: number;

  constructor(planet: string, timeoutMs: number) {
    super(
      AgentsErrorCode.PLANET_TIMEOUT,
      `planet '${planet}' did not report within ${timeoutMs} ms; it has failed for this cycle`,
    );
    this.name = 'PlanetTimeoutError';
    this.planet = planet;
    this.timeoutMs = timeoutMs;
  }
}

/** The sun's reasoning ended without a usable decision (turn cap reached, provider failure…). */
export class ReasoningFailedError extends AgentsError {
  /** `sun` or `backup-sun`. */
  readonly stage: string;

  constructor(message: string, opts: ErrorOptions & { stage: string }) {
    super(AgentsErrorCode.REASONING_FAILED, message, opts);
    this.name = 'ReasoningFailedError';
    this.stage = opts.stage;
  }
}

/** A child actor exhausted its restarts under an `escalate` policy; the symbol's sun has stopped. */
export class SupervisionEscalatedError extends AgentsError {
  readonly child: string;

  constructor(child: string, opts: ErrorOptions = {}) {
    super(
      AgentsErrorCode.ESCALATED,
      `child '${child}' exhausted its restarts and the policy escalates: this symbol's sun has stopped`,
      opts,
    );
    this.name = 'SupervisionEscalatedError';
    this.child = child;
  }
}

/** The solar system was stopped; no further cycles run. */
export class SolarSystemStoppedError extends AgentsError {
  constructor() {
    super(AgentsErrorCode.STOPPED, 'the solar system is stopped; create a new one to run more cycles');
    this.name = 'SolarSystemStoppedError';
  }
}
