import { BrokerErrorCode } from '@orrery/broker/errors';
import { OrreryError } from '@orrery/errors';

/** The broker's order refusal and the ledger's run error, from `@orrery/broker` (their home since it split off). */
export { BrokerError, LedgerError } from '@orrery/broker/errors';

/**
 * Every failure the runner reports on purpose is a {@link RunnerError} with a stable `code` callers (and
 * the CLI's exit path) can switch on; the feeds' own are `@orrery/feeds`' `FeedError` (`ORRERY_FEED_…`), the
 * broker's, ledger's and control store's `@orrery/broker`'s (`BrokerErrorCode`; listed here too, so callers
 * switching on `RunnerErrorCode` keep working). The underlying failure travels as `cause`.
 */
export const RunnerErrorCode = {
  CONFIG_FILE: 'ORRERY_CONFIG_FILE',
  CONFIG_INVALID: 'ORRERY_CONFIG_INVALID',
  /** `@orrery/broker`'s `BrokerError`: an order refused. */
  BROKER_ORDER: BrokerErrorCode.ORDER,
  /** `@orrery/broker`'s `LedgerError`: a run cannot be started or resumed as asked. */
  LEDGER_RUN: BrokerErrorCode.LEDGER_RUN,
  USAGE: 'ORRERY_USAGE',
  /** An operator command is malformed (unknown kind, bad symbol, target or threshold). */
  CONTROL_INVALID: BrokerErrorCode.CONTROL_INVALID,
  /** `approve`/`reject` names an approval that does not exist or is no longer pending. */
  CONTROL_APPROVAL: BrokerErrorCode.CONTROL_APPROVAL,
  /** A run id is not a safe name (letters, digits, `.`, `_`, `-`; no separators, no `..`). */
  RUN_ID: 'ORRERY_RUN_ID',
  /** Another live process is running (or resuming) the same run. */
  RUN_LOCKED: 'ORRERY_RUN_LOCKED',
  /** An SQLite file cannot be opened or used (not a database, unwritable, corrupt). */
  DB: 'ORRERY_DB',
  /** An SQLite file stayed locked by another process for longer than the busy timeout. */
  DB_BUSY: 'ORRERY_DB_BUSY',
  /** The run was stopped (Ctrl-C) before any bar arrived: nothing traded, the run is marked `stopped`. */
  RUN_STOPPED: 'ORRERY_RUN_STOPPED',
  /** A file or folder cannot be read or written (permissions, read-only file system, not a folder). */
  FILE_ACCESS: 'ORRERY_FILE_ACCESS',
  /** A workflow could not be planned, was invalid, or failed (the message leads with the engine's code). */
  WORKFLOW: 'ORRERY_WORKFLOW',
} as const;

/** One of {@link RunnerErrorCode}'s values. */
export type RunnerErrorCode = (typeof RunnerErrorCode)[keyof typeof RunnerErrorCode];

/** Base of every runner error. `instanceof` works across duplicate copies of the package. */
export class RunnerError extends OrreryError<RunnerErrorCode> {
  static override readonly brand: string = 'orrery.runner.RunnerError';
}

/** One problem in a configuration: the dotted key path and what is wrong with it. */
export interface ConfigIssue {
  /** Dotted key path, e.g. `broker.feeBps`; `(root)` for the whole document. */
  readonly path: string;
  /** What is wrong, in words. */
  readonly message: string;
}

/** The configuration file could not be read, parsed or validated. `issues` lists every problem found. */
export class ConfigError extends RunnerError {
  /** The file the configuration came from, or `(defaults)`. */
  readonly file: string;
  /** Every problem, each naming its key path. Empty when the file itself could not be read or parsed. */
  readonly issues: readonly ConfigIssue[];

  constructor(
    code: RunnerErrorCode,
    file: string,
    message: string,
    issues: readonly ConfigIssue[] = [],
    options: ErrorOptions = {},
  ) {
    const detail = issues.map((i) => `\n  - ${i.path}: ${i.message}`).join('');
    super(code, `${file}: ${message}${detail}`, options);
    this.name = 'ConfigError';
    this.file = file;
    this.issues = issues;
  }
}

/** An SQLite file cannot be opened or used, or stayed locked too long. `file` names it. */
export class StoreError extends RunnerError {
  /** The database file concerned (or a description when it is not known). */
  readonly file: string;

  constructor(code: RunnerErrorCode, file: string, message: string, options: ErrorOptions = {}) {
    super(code, `${file}: ${message}`, options);
    this.name = 'StoreError';
    this.file = file;
  }
}
