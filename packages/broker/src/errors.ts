import { OrreryError } from '@orrery/errors';

/**
 * Every failure the broker, the ledger and the control store report on purpose is a
 * {@link BrokerPackageError} with a stable `code` callers (and the runner's exit path) can switch on. The
 * codes are the ones the runner has always reported; the underlying failure travels as `cause`.
 */
export const BrokerErrorCode = {
  /** The paper broker refused an order (bad quantity, price or type). */
  ORDER: 'ORRERY_BROKER_ORDER',
  /** A run in the ledger cannot be started or resumed as asked. */
  LEDGER_RUN: 'ORRERY_LEDGER_RUN',
  /** An operator command is malformed (unknown kind, bad symbol, target or threshold). */
  CONTROL_INVALID: 'ORRERY_CONTROL_INVALID',
  /** `approve`/`reject` names an approval that does not exist or is no longer pending. */
  CONTROL_APPROVAL: 'ORRERY_CONTROL_APPROVAL',
} as const;

/** One of {@link BrokerErrorCode}'s values. */
export type BrokerErrorCode = (typeof BrokerErrorCode)[keyof typeof BrokerErrorCode];

/** Base of every `@orrery/broker` error. `instanceof` works across duplicate copies of the package. */
export class BrokerPackageError extends OrreryError<BrokerErrorCode> {
  static override readonly brand: string = 'orrery.broker.BrokerPackageError';
}

/** An order the paper broker refuses (bad quantity, price or type). Nothing was recorded. */
export class BrokerError extends BrokerPackageError {
  constructor(message: string, options: ErrorOptions = {}) {
    super(BrokerErrorCode.ORDER, message, options);
    this.name = 'BrokerError';
  }
}

/** A run in the ledger cannot be started or resumed as asked (missing, already there, other data). */
export class LedgerError extends BrokerPackageError {
  /** The run id concerned. */
  readonly runId: string;

  constructor(runId: string, message: string, options: ErrorOptions = {}) {
    super(BrokerErrorCode.LEDGER_RUN, `run ${runId}: ${message}`, options);
    this.name = 'LedgerError';
    this.runId = runId;
  }
}

/** An operator command was refused before it was recorded. `field` names what was wrong. */
export class ControlError extends BrokerPackageError {
  /** The offending part of the command (`kind`, `symbol`, `target`, `approval`, `run`…). */
  readonly field: string;

  constructor(
    code: typeof BrokerErrorCode.CONTROL_INVALID | typeof BrokerErrorCode.CONTROL_APPROVAL,
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
    BrokerErrorCode.CONTROL_INVALID,
    field,
    message,
    cause === undefined ? {} : { cause },
  );
}
