import { OrreryError } from '@orrery/errors';

/**
 * Every failure of `@orrery/memory` is a {@link MemoryError} with a stable `code` that callers can switch on.
 * The underlying failure (SQLite, Chroma, the child process) travels as `cause`.
 */
export const MemoryErrorCode = {
  INVALID_INPUT: 'ORRERY_MEMORY_INVALID_INPUT',
  NON_FINITE_FEATURE: 'ORRERY_MEMORY_NON_FINITE_FEATURE',
  DIMENSION_MISMATCH: 'ORRERY_MEMORY_DIMENSION_MISMATCH',
  ZERO_VECTOR: 'ORRERY_MEMORY_ZERO_VECTOR',
  EPISODE_EXISTS: 'ORRERY_MEMORY_EPISODE_EXISTS',
  EPISODE_NOT_FOUND: 'ORRERY_MEMORY_EPISODE_NOT_FOUND',
  OUTCOME_ALREADY_WRITTEN: 'ORRERY_MEMORY_OUTCOME_ALREADY_WRITTEN',
  INDEX_UNAVAILABLE: 'ORRERY_MEMORY_INDEX_UNAVAILABLE',
  CHROMA_START_FAILED: 'ORRERY_MEMORY_CHROMA_START_FAILED',
  CONFIG: 'ORRERY_MEMORY_CONFIG',
  CLOSED: 'ORRERY_MEMORY_CLOSED',
} as const;

/** One of {@link MemoryErrorCode}'s values. */
export type MemoryErrorCode = (typeof MemoryErrorCode)[keyof typeof MemoryErrorCode];

/** Base of every memory error. `instanceof` works across duplicate copies of the package. */
export class MemoryError extends OrreryError<MemoryErrorCode> {
  static override readonly brand: string = 'orrery.memory.MemoryError';
}

/**
 * An episode, situation, outcome or filter failed validation. `field` is the dotted path of the first
 * offending value (`confidence`, `situation.vector[3]`, `outcome.alpha`); `issues` lists every problem found.
 */
export class MemoryValidationError extends MemoryError {
  /** Dotted path of the first offending field. */
  readonly field: string;
  /** Every problem found, one line each (`field: reason`). */
  readonly issues: readonly string[];

  constructor(
    message: string,
    opts: ErrorOptions & { field: string; issues?: readonly string[]; code?: MemoryErrorCode },
  ) {
    super(opts.code ?? MemoryErrorCode.INVALID_INPUT, message, opts);
    this.name = 'MemoryValidationError';
    this.field = opts.field;
    this.issues = opts.issues ?? [`${opts.field}: ${message}`];
  }
}

/** A situation feature was NaN or ±Infinity; cosine similarity is undefined for it. */
export class NonFiniteFeatureError extends MemoryValidationError {
  constructor(field: string, value: unknown, issues?: readonly string[]) {
    super(`${field} must be a finite number, got ${String(value)}`, {
      field,
      code: MemoryErrorCode.NON_FINITE_FEATURE,
      ...(issues === undefined ? {} : { issues }),
    });
    this.name = 'NonFiniteFeatureError';
  }
}

/** A situation vector's length differs from the memory's dimension (fixed by config or by the first episode). */
export class DimensionMismatchError extends MemoryValidationError {
  /** The memory's dimension. */
  readonly expected: number;
  /** The vector's length. */
  readonly actual: number;

  constructor(expected: number, actual: number, field = 'situation.vector') {
    super(`${field} has ${actual} features; this memory holds ${expected}-feature situations`, {
      field,
      code: MemoryErrorCode.DIMENSION_MISMATCH,
    });
    this.name = 'DimensionMismatchError';
    this.expected = expected;
    this.actual = actual;
  }
}

/** A situation vector was all zeros: it has no direction, so it cannot be compared by cosine. */
export class ZeroVectorError extends MemoryValidationError {
  constructor(field = 'situation.vector') {
    super(`${field} is all zeros; cosine similarity needs a non-zero vector`, {
      field,
      code: MemoryErrorCode.ZERO_VECTOR,
    });
    this.name = 'ZeroVectorError';
  }
}

/** An episode with this id is already stored; ids are unique and episodes are never overwritten. */
export class EpisodeExistsError extends MemoryError {
  /** The duplicate id. */
  readonly id: string;

  constructor(id: string, options: ErrorOptions = {}) {
    super(MemoryErrorCode.EPISODE_EXISTS, `episode ${id} is already recorded; nothing was written`, options);
    this.name = 'EpisodeExistsError';
    this.id = id;
  }
}

/** No episode has this id. */
export class EpisodeNotFoundError extends MemoryError {
  /** The unknown id. */
  readonly id: string;

  constructor(id: string) {
    super(MemoryErrorCode.EPISODE_NOT_FOUND, `no episode with id ${id}`);
    this.name = 'EpisodeNotFoundError';
    this.id = id;
  }
}

/** The episode's outcome was already written; outcomes are written once. */
export class OutcomeAlreadyWrittenError extends MemoryError {
  /** The episode's id. */
  readonly id: string;

  constructor(id: string) {
    super(
      MemoryErrorCode.OUTCOME_ALREADY_WRITTEN,
      `episode ${id} already has its outcome; it was not overwritten`,
    );
    this.name = 'OutcomeAlreadyWrittenError';
    this.id = id;
  }
}

/**
 * The Chroma similarity index cannot be reached (or is switched off) for an operation that needs it.
 * Recall never throws this — it degrades to no matches; only explicit index operations do.
 */
export class IndexUnavailableError extends MemoryError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(MemoryErrorCode.INDEX_UNAVAILABLE, message, options);
    this.name = 'IndexUnavailableError';
  }
}

/** The embedded `chroma` server did not start (or did not answer its heartbeat in time). */
export class ChromaStartError extends MemoryError {
  /** The last lines the server printed, for diagnosis. */
  readonly output: string;

  constructor(message: string, opts: ErrorOptions & { output: string }) {
    super(MemoryErrorCode.CHROMA_START_FAILED, message, opts);
    this.name = 'ChromaStartError';
    this.output = opts.output;
  }
}

/** The memory configuration is invalid; `issues` lists each problem as `path: reason`. */
export class MemoryConfigError extends MemoryError {
  /** Every problem found. */
  readonly issues: readonly string[];

  constructor(issues: readonly string[], options: ErrorOptions = {}) {
    super(MemoryErrorCode.CONFIG, `invalid memory config: ${issues.join('; ')}`, options);
    this.name = 'MemoryConfigError';
    this.issues = issues;
  }
}

/** The memory was closed; open a new one. */
export class MemoryClosedError extends MemoryError {
  constructor(operation: string) {
    super(MemoryErrorCode.CLOSED, `memory is closed; ${operation} was not run`);
    this.name = 'MemoryClosedError';
  }
}
