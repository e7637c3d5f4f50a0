import { InvalidArgumentError } from 'commander';
import { RunnerError, RunnerErrorCode } from '../errors.ts';

/** A run id: 1–128 letters, digits, `.`, `_` or `-`, starting with a letter or digit (so never `..`). */
export const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Why `id` is not a run id, or `undefined` when it is one. */
export function runIdProblem(id: string): string | undefined {
  if (!RUN_ID_PATTERN.test(id))
    return 'a run id is 1-128 letters, digits, ".", "_" or "-", starting with a letter or digit (no / \\ or spaces)';
  if (id.includes('..')) return 'a run id cannot contain ".."';
  return undefined;
}

/**
 * Checks a run id before it names files (`{runId}` in the report, memory and Chroma paths).
 *
 * @throws RunnerError `ORRERY_RUN_ID` naming the setting and the value.
 */
export function assertRunId(id: string, where = '--run-id'): string {
  const problem = runIdProblem(id);
  if (problem) throw new RunnerError(RunnerErrorCode.RUN_ID, `${where} '${id.slice(0, 80)}': ${problem}`);
  return id;
}

/** A commander argument parser for run-id flags: a bad id is a usage error, before anything runs. */
export function runIdFlag(value: string): string {
  const problem = runIdProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}
