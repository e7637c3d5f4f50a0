import { loadConfig } from '../../config/load.ts';
import { RunnerError, RunnerErrorCode } from '../../errors.ts';
import { runLive } from '../../session/live-run.ts';
import type { CliIO } from '../io.ts';
import type { RunFlags } from '../run.ts';

/** Runs `orrery run` (see its registration in ../run.ts). */
export async function runCommand(flags: RunFlags, io: CliIO): Promise<void> {
  const maxBars = flags.maxBars === undefined ? undefined : Number(flags.maxBars);
  if (maxBars !== undefined && !(Number.isInteger(maxBars) && maxBars > 0))
    throw new RunnerError(
      RunnerErrorCode.USAGE,
      `--max-bars must be a positive integer, got '${flags.maxBars}'`,
    );
  const loaded = loadConfig({ file: flags.config, env: io.env, cwd: io.cwd });
  await runLive(
    {
      loaded: flags.memory ? loaded : { ...loaded, config: { ...loaded.config, memory: false } },
      exchange: flags.exchange,
      symbol: flags.symbol,
      timeframe: flags.timeframe,
      apiUrl: flags.apiUrl,
      runId: flags.runId,
      resume: flags.resume,
      reportPath: flags.report,
      maxBars,
      json: flags.json,
      exportTrades: flags.exportTrades,
    },
    io,
  );
}
