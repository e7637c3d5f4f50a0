import { AgentsError, AgentsErrorCode } from '../errors.ts';

/**
 * Bad input to the learning loop or prompt evolution (evidence, settings, variants, outcomes), or an
 * operation that cannot apply (reverting a change twice). `field` names what was wrong.
 */
export class LearningInputError extends AgentsError {
  readonly field: string;

  constructor(message: string, opts: ErrorOptions & { field: string }) {
    super(AgentsErrorCode.LEARNING_INVALID, message, opts);
    this.name = 'LearningInputError';
    this.field = opts.field;
  }
}

/** A learning change, prompt or prompt variant that does not exist. `what` names it. */
export class LearningNotFoundError extends AgentsError {
  readonly what: string;

  constructor(message: string, opts: ErrorOptions & { what: string }) {
    super(AgentsErrorCode.LEARNING_NOT_FOUND, message, opts);
    this.name = 'LearningNotFoundError';
    this.what = opts.what;
  }
}
