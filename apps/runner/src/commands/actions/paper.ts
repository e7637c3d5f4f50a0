import { resolve } from 'node:path';
import { type LoadedConfig, loadConfig } from '../../config/load.ts';
import { newsConfigSchema } from '../../config/schema.ts';
import { RunnerError, RunnerErrorCode } from '../../errors.ts';
import { dataSpecFromFlags } from '../../feeds/data-spec.ts';
import { runLearningEffect, withoutLearning } from '../../session/learning-effect.ts';
import { type PaperOptions, runPaper } from '../../session/paper-run.ts';
import type { CliIO } from '../io.ts';
import type { PaperFlags } from '../paper.ts';

/** Runs `orrery paper` with its parsed flags (see `registerPaperCommand`). */
export async function paper(flags: PaperFlags, io: CliIO): Promise<void> {
  const loaded = loadConfig({ file: flags.config, env: io.env, cwd: io.cwd });
  const withMemory = flags.memory
    ? loaded
    : { ...loaded, config: { ...loaded.config, memory: false as const } };
  const learning = learningMode(flags.learning);
  const run = learning === 'both' ? runBoth : runPaper;
  await run(
    {
      loaded: learningAs(
        learning,
        flags.news === undefined ? withMemory : withNewsFile(withMemory, resolve(io.cwd, flags.news)),
      ),
      data: dataSpecFromFlags(flags),
      from: flags.from,
      to: flags.to,
      runId: flags.runId,
      resume: flags.resume,
      replay: flags.replay,
      reportPath: flags.report,
      progress: flags.progress,
      json: flags.json,
      exportTrades: flags.exportTrades,
    },
    io,
  );
}

type LearningMode = 'on' | 'off' | 'both';

function learningMode(flag: string | undefined): LearningMode {
  if (flag === undefined || flag === 'on' || flag === 'off' || flag === 'both') return flag ?? 'on';
  throw new RunnerError(RunnerErrorCode.USAGE, `--learning must be on, off or both (got '${flag}')`);
}

function learningAs(mode: LearningMode, loaded: LoadedConfig): LoadedConfig {
  return mode === 'off' ? withoutLearning(loaded) : loaded;
}

/** `--learning both`: the run twice, learning on and off (see `runLearningEffect`). */
async function runBoth(o: PaperOptions, io: CliIO): Promise<void> {
  if (o.resume === true || o.replay !== undefined || o.json === true || o.exportTrades !== undefined)
    throw new RunnerError(
      RunnerErrorCode.USAGE,
      '--learning both cannot be combined with --resume, --replay, --json or --export-trades',
    );
  if (o.loaded.config.learning === false)
    throw new RunnerError(
      RunnerErrorCode.USAGE,
      '--learning both needs learning enabled in the configuration',
    );
  await runLearningEffect({ ...o, runId: o.runId ?? `paper-${Date.now()}` }, io);
}

/** The configuration with `run.news.file` set (its look-back and item limit kept, or defaulted). */
function withNewsFile(loaded: LoadedConfig, file: string): LoadedConfig {
  const run = loaded.config.run;
  return {
    ...loaded,
    config: { ...loaded.config, run: { ...run, news: newsConfigSchema.parse({ ...run.news, file }) } },
  };
}
