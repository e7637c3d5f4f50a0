import type { BrokerSettings, Ledger } from '@orrery/broker';
import type { ReplayReport } from '@orrery/core';
import type { CliIO } from '../commands/io.ts';
import { LedgerError, RunnerError, RunnerErrorCode } from '../errors.ts';
import { compareRuns, type RunComparison } from './compare-runs.ts';

/**
 * The recorded run a `--replay` reproduces: it must be in the ledger and the replay must run on the same
 * data and range (its `meta`), with the same broker settings (returned).
 *
 * @throws RunnerError `ORRERY_USAGE` with `--resume`; LedgerError when the run is missing or was run on
 *   other data or another range.
 */
export function replayedRun(
  ledger: Ledger,
  runId: string,
  meta: Record<string, unknown>,
  resume: boolean | undefined,
): { settings: BrokerSettings } {
  if (resume === true)
    throw new RunnerError(
      RunnerErrorCode.USAGE,
      '--replay starts a new run; it cannot be combined with --resume',
    );
  const run = ledger.getRun(runId);
  if (run === undefined) throw new LedgerError(runId, 'is not in the ledger; nothing to replay');
  if (JSON.stringify(run.meta) !== JSON.stringify(meta))
    throw new LedgerError(
      runId,
      `was run on other data or another range (${JSON.stringify(run.meta)}); replay it with the same --data, --from and --to`,
    );
  return { settings: run.settings };
}

/** Lines for the report about a replay: what was served from recordings, and what was missing. */
export function replayNotes(original: string, r: ReplayReport): string[] {
  const notes = [
    `replay of ${original}: ${r.served} LLM answers from its recordings, no provider called, $0 spent (they cost $${r.recordedCostUsd.toFixed(4)} when recorded)`,
  ];
  if (r.missing.length > 0) {
    const first = r.missing[0]!;
    notes.push(
      `${r.missing.length} LLM request(s) had no recording and failed (first: ${first.task}${first.agent === undefined ? '' : ` by ${first.agent}`}): the replay diverged from ${original}`,
    );
  }
  if (r.probesMissing > 0)
    notes.push(`${r.probesMissing} budget/availability question(s) had no recorded answer`);
  return notes;
}

/** Compares the replay with its original and says so (stdout when identical, stderr when not). */
export function reportReplay(io: CliIO, ledger: Ledger, original: string, replay: string): RunComparison {
  const c = compareRuns(ledger, original, replay);
  if (c.sameDecisions && c.sameFills)
    io.out(`Replay of ${original}: identical decisions (${c.cycles} cycles) and fills (${c.fills})`);
  else io.err(`Replay of ${original} differs: ${c.firstDifference}`);
  return c;
}
