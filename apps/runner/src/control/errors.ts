import { RunnerError, RunnerErrorCode } from '../errors.ts';

/** An operator command was refused before it was recorded. `field` names what was wrong. */
export class ControlError extends RunnerError {
  /** The offending part of the command (`kind`, `symbol`, `target`, `approval`, `run`…). */
  readonly field: string;

  constructor(
    code: typeof RunnerErrorCode.CONTROL_INVALID | typeof RunnerErrorCode.CONTROL_APPROVAL,
    field: string,
    message: string,
    options: ErrorOptions = {},
  ) {
    super(code, message, options);
    this.name = 'ControlError';
    this.field = field;
  }
}

/** Shorthand for a {@link ControlError} about a malformed command. */
export function invalidCommand(field: string, message: string, cause?: unknown): ControlError {
  return new ControlError(
    RunnerErrorCode.CONTROL_INVALID,
    field,
    message,
    cause === undefined ? {} : { cause },
  );
}
