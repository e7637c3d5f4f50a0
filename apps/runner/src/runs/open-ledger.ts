import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Ledger } from '@orrery/broker';
import { RunnerErrorCode, StoreError } from '../errors.ts';
import { fileFailure } from './failure-text.ts';

/** How long a write waits for a lock another process holds on an SQLite file, by default (ms). */
export const DEFAULT_DB_BUSY_TIMEOUT_MS = 30_000;

/**
 * Opens (creating it and its folder when needed) the run ledger at `path` with a busy timeout: a write
 * that finds the file locked by another process waits up to `busyTimeoutMs` instead of failing at once.
 *
 * @throws StoreError `ORRERY_DB` naming the file (not an SQLite database, cannot be created),
 *   `ORRERY_DB_BUSY` (locked for longer than the timeout), `ORRERY_FILE_ACCESS` for its folder.
 */
export function openRunLedger(path: string, busyTimeoutMs = DEFAULT_DB_BUSY_TIMEOUT_MS): Ledger {
  if (path !== ':memory:') {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw fileFailure(err, dirname(path)) ?? err;
    }
  }
  try {
    return Ledger.open(path, busyTimeoutMs);
  } catch (err) {
    throw sqliteFailure(err, path) ?? err;
  }
}

/**
 * The typed error for an SQLite failure on `file` (`SqliteError` codes: busy, locked, not a database,
 * cannot open, read-only, corrupt, full disk), or `undefined` when `err` is not one.
 */
export function sqliteFailure(err: unknown, file: string): StoreError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || err.name !== 'SqliteError' || typeof code !== 'string') return undefined;
  const base = code.replace(/_.*$/, '') === 'SQLITE' ? code.split('_').slice(0, 2).join('_') : code;
  const opts = { cause: err };
  switch (base) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return new StoreError(
        RunnerErrorCode.DB_BUSY,
        file,
        'locked by another process for longer than the busy timeout (run.dbBusyTimeoutMs); ' +
          'nothing was lost: the last committed step stands — resume with --resume once it is free',
        opts,
      );
    case 'SQLITE_NOTADB':
      return new StoreError(RunnerErrorCode.DB, file, 'is not an SQLite database; name a ledger file', opts);
    case 'SQLITE_CANTOPEN':
      return new StoreError(
        RunnerErrorCode.DB,
        file,
        'cannot be opened or created (check the folder and its permissions)',
        opts,
      );
    case 'SQLITE_READONLY':
      return new StoreError(RunnerErrorCode.DB, file, 'is read-only; a run needs to write it', opts);
    case 'SQLITE_CORRUPT':
      return new StoreError(RunnerErrorCode.DB, file, 'is corrupt', opts);
    case 'SQLITE_FULL':
      return new StoreError(RunnerErrorCode.DB, file, 'cannot grow: the disk is full', opts);
    default:
      return new StoreError(
        RunnerErrorCode.DB,
        file,
        `SQLite failed (${code}: ${err.message.slice(0, 120)})`,
        opts,
      );
  }
}
