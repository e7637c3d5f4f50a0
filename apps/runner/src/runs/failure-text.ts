// The error classes alone: the CLI's error handler must not load the feeds (zod, ccxt) or the broker
// (SQLite) to name one.
import { BrokerPackageError } from '@orrery/broker/errors';
import { FeedError } from '@orrery/feeds/errors';
import { RunnerError, RunnerErrorCode } from '../errors.ts';

const ERRNO_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder',
  ENOSPC: 'no space left on the disk',
  EEXIST: 'already exists',
  EMFILE: 'too many open files',
};

/**
 * The typed error for a file-system failure (an `ErrnoException` with a path), naming the path and what
 * went wrong in words; `undefined` when `err` is not one.
 */
export function fileFailure(err: unknown, path?: string): RunnerError | undefined {
  const e = err as NodeJS.ErrnoException | null;
  if (!(err instanceof Error) || typeof e?.code !== 'string' || !(e.code in ERRNO_WORDS)) return undefined;
  const where = path ?? e.path ?? '(a file)';
  const verb = e.syscall === undefined ? 'use' : (SYSCALL_VERBS[e.syscall] ?? e.syscall);
  return new RunnerError(RunnerErrorCode.FILE_ACCESS, `cannot ${verb} ${where}: ${ERRNO_WORDS[e.code]}`, {
    cause: err,
  });
}

const SYSCALL_VERBS: Record<string, string> = {
  open: 'open',
  mkdir: 'create the folder',
  write: 'write',
  rename: 'rename',
  unlink: 'remove',
  rmdir: 'remove',
  rm: 'remove',
  scandir: 'list',
  stat: 'read',
  read: 'read',
  copyfile: 'copy',
};

/**
 * What the command line prints for a failure: `error: <message>` for the runner's, the feeds' and the
 * broker's typed errors, and for file-system and SQLite failures turned into typed ones; anything else gets its message
 * and a hint to run with `--debug`, which shows the stack trace of every failure.
 */
export function failureText(err: unknown, debug: boolean): string {
  const typed =
    err instanceof RunnerError || err instanceof FeedError || err instanceof BrokerPackageError
      ? err
      : (fileFailure(err) ?? sqliteNoFile(err) ?? undefined);
  const stack = debug && err instanceof Error && err.stack ? `\n${err.stack}` : '';
  if (typed) return `error: ${typed.message}${stack}`;
  const msg =
    err instanceof Error ? `${err.name === 'Error' ? '' : `${err.name}: `}${err.message}` : String(err);
  return `error: ${msg.slice(0, 500)}${stack || '\n(run with --debug for the stack trace)'}`;
}

function sqliteNoFile(err: unknown): RunnerError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || err.name !== 'SqliteError' || typeof code !== 'string') return undefined;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return new RunnerError(
      RunnerErrorCode.DB_BUSY,
      'a database file (run.ledgerPath or run.gatewayDbPath) stayed locked by another process for longer ' +
        'than the busy timeout; nothing was lost: the last committed step stands — resume with --resume',
      { cause: err },
    );
  return new RunnerError(RunnerErrorCode.DB, `SQLite failed (${code}: ${err.message.slice(0, 160)})`, {
    cause: err,
  });
}
