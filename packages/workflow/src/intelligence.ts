import { InferenceRefusedError } from './errors.ts';

/**
 * How much an agent may ask of an LLM. The engine enforces it: a refused ask throws
 * {@link InferenceRefusedError} (from `ctx.infer` / `ctx.requestAdaptation`) or, for the engine's own
 * hooks, makes the hook take its deterministic fallback.
 *
 * | capability                                          | BASIC | ADAPTIVE | INTELLIGENT | AUTONOMOUS |
 * |-----------------------------------------------------|-------|----------|-------------|------------|
 * | engine may recover its failures with an LLM         | no    | yes      | yes         | yes        |
 * | engine may map its invalid output with an LLM       | no    | yes      | yes         | yes        |
 * | `ctx.infer` (its own LLM calls per step attempt)     | 0     | 0        | 1           | 3          |
 * | `ctx.requestAdaptation` (revise remaining workflow) | no    | no       | no          | yes        |
 *
 * BASIC is the default: an agent is deterministic unless it says otherwise.
 */
export const IntelligenceLevel = {
  BASIC: 'BASIC',
  ADAPTIVE: 'ADAPTIVE',
  INTELLIGENT: 'INTELLIGENT',
  AUTONOMOUS: 'AUTONOMOUS',
} as const;

/** One of {@link IntelligenceLevel}'s values. */
export type IntelligenceLevel = (typeof IntelligenceLevel)[keyof typeof IntelligenceLevel];

/** What an agent may ask of an LLM. */
export type InferenceCapability = 'recovery' | 'mapping' | 'reasoning' | 'adaptation';

/** The rights of one intelligence level (the table on {@link IntelligenceLevel}). */
export interface IntelligenceRights {
  recovery: boolean;
  mapping: boolean;
  /** `ctx.infer` calls allowed per step attempt. */
  reasoningCalls: number;
  adaptation: boolean;
}

/** The matrix, as data. */
export const INTELLIGENCE_MATRIX: Readonly<Record<IntelligenceLevel, Readonly<IntelligenceRights>>> = {
  BASIC: { recovery: false, mapping: false, reasoningCalls: 0, adaptation: false },
  ADAPTIVE: { recovery: true, mapping: true, reasoningCalls: 0, adaptation: false },
  INTELLIGENT: { recovery: true, mapping: true, reasoningCalls: 1, adaptation: false },
  AUTONOMOUS: { recovery: true, mapping: true, reasoningCalls: 3, adaptation: true },
};

/**
 * Whether an agent of `level` may use `capability`; for `reasoning`, having made `used` calls already
 * in this step attempt.
 */
export function levelAllows(level: IntelligenceLevel, capability: InferenceCapability, used = 0): boolean {
  const rights = INTELLIGENCE_MATRIX[level];
  switch (capability) {
    case 'recovery':
      return rights.recovery;
    case 'mapping':
      return rights.mapping;
    case 'reasoning':
      return used < rights.reasoningCalls;
    case 'adaptation':
      return rights.adaptation;
    default: {
      const never: never = capability;
      throw new Error(`unknown capability ${String(never)}`);
    }
  }
}

/**
 * Throws {@link InferenceRefusedError} unless an agent of `level` may use `capability` (after `used`
 * reasoning calls).
 */
export function assertLevelAllows(opts: {
  agent: string;
  level: IntelligenceLevel;
  capability: InferenceCapability;
  used?: number;
  stepId?: string;
}): void {
  if (levelAllows(opts.level, opts.capability, opts.used ?? 0)) return;
  const limit = INTELLIGENCE_MATRIX[opts.level].reasoningCalls;
  const reason =
    opts.capability === 'reasoning' && limit > 0
      ? `${opts.level} agents may make ${limit} LLM call(s) per step attempt, ${opts.used ?? 0} made`
      : `not allowed at ${opts.level}`;
  throw new InferenceRefusedError({
    agent: opts.agent,
    level: opts.level,
    capability: opts.capability,
    reason,
    ...(opts.stepId === undefined ? {} : { stepId: opts.stepId }),
  });
}
