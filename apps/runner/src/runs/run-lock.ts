import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { RunnerError, RunnerErrorCode } from '../errors.ts';
import { fileFailure } from './failure-text.ts';

/** A held run lock; `release()` removes it (idempotent). */
export interface RunLock {
  readonly path: string;
  release(): void;
}

interface LockBody {
  pid: number;
  host: string;
  since: number;
}

/** The lock file of `runId` in the ledger at `ledgerPath`: `<ledger folder>/locks/<runId>.lock`. */
export function runLockPath(ledgerPath: string, runId: string): string {
  return join(dirname(ledgerPath), 'locks', `${runId}.lock`);
}

/**
 * Takes the run's lock before a process trades it: a second process starting or resuming the same run
 * is refused up front, while the first still lives. A lock left by a process that died (`kill -9`) is
 * taken over. An in-memory ledger needs no lock.
 *
 * @throws RunnerError `ORRERY_RUN_LOCKED` naming the process that holds it, `ORRERY_FILE_ACCESS` when
 *   the lock folder cannot be written.
 */
export function lockRun(ledgerPath: string, runId: string, now = Date.now()): RunLock {
  if (ledgerPath === ':memory:') return { path: '', release: () => {} };
  const path = runLockPath(ledgerPath, runId);
  const body: LockBody = { pid: process.pid, host: hostname(), since: now };
  try {
    mkdirSync(dirname(path), { recursive: true });
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(path, JSON.stringify(body), { flag: 'wx' });
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
        const holder = readLock(path);
        if (holder && alive(holder))
          throw new RunnerError(
            RunnerErrorCode.RUN_LOCKED,
            `run ${runId} is being run by process ${holder.pid} on ${holder.host} since ` +
              `${new Date(holder.since).toISOString()}; stop it first (Ctrl-C), or wait for it to finish`,
          );
        unlinkSync(path); // its process is gone: the lock is stale
      }
    }
  } catch (err) {
    if (err instanceof RunnerError) throw err;
    throw fileFailure(err, path) ?? err;
  }
  let held = true;
  return {
    path,
    release: () => {
      if (!held) return;
      held = false;
      const now = readLock(path);
      if (now?.pid === body.pid && now.since === body.since) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    },
  };
}

function readLock(path: string): LockBody | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockBody>;
    if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.since === 'number')
      return v as LockBody;
  } catch {
    // unreadable or half-written: treated as stale
  }
  return undefined;
}

function alive(l: LockBody): boolean {
  if (l.host !== hostname()) return true; // another machine's process: cannot check, assume it lives
  if (l.pid === process.pid) return true;
  try {
    process.kill(l.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
