import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type LoadedConfig, loadConfig } from '../config/load.ts';
import { newsConfigSchema } from '../config/schema.ts';
import { RunnerError, RunnerErrorCode } from '../errors.ts';
import { addDataOptions, type DataFlags, dataSpecFromFlags } from '../feeds/data-flags.ts';
import { runIdFlag } from '../runs/run-id.ts';
import { runLearningEffect, withoutLearning } from '../session/learning-effect.ts';
import { type PaperOptions, runPaper } from '../session/paper-run.ts';
import type { CliIO } from './io.ts';

interface PaperFlags extends DataFlags {
  from?: string;
  to?: string;
  config?: string;
  runId?: string;
  resume?: boolean;
  replay?: string;
  report?: string;
  progress: boolean;
  memory: boolean;
  news?: string;
  json?: boolean;
  exportTrades?: string;
  learning?: string;
}

/** Registers `orrery paper`: the whole hierarchy paper-trading replayed real data. */
export function registerPaperCommand(program: Command, io: CliIO): void {
  addDataOptions(
    program
      .command('paper')
      .description(
        'paper-trade the sun, planets and moons on replayed real data (default: bundled SPY daily)',
      ),
  )
    .option('--from <date>', 'first bar (UTC date, inclusive)')
    .option('--to <date>', 'last bar (UTC date, inclusive)')
    .option('-c, --config <file>', 'YAML configuration (default: ./orrery.yaml when present)')
    .option('--run-id <id>', 'name of the run in the ledger (default: paper-<timestamp>)', runIdFlag)
    .option('--resume', 'continue --run-id (or the latest unfinished run) after its last committed bar')
    .option(
      '--replay <run>',
      'run again on the same data, answering LLM requests only from <run>’s recordings (no provider call, $0)',
      runIdFlag,
    )
    .option('--report <path>', 'where to write the HTML report (default: run.reportPath)')
    .option('--no-progress', 'no progress bar (it is drawn only on a terminal anyway)')
    .option(
      '--news <file>',
      'JSONL or CSV (time,symbol,text) news for the sentiment planet (default: run.news)',
    )
    .option('--no-memory', 'run without episodic memory (and without its Chroma server)')
    .option('--json', 'print the summary as one JSON object on stdout (progress and notes stay on stderr)')
    .option('--export-trades <file>', 'also write the trade list as CSV (with a header) to <file>')
    .option(
      '--learning <mode>',
      'on (as configured) | off | both: run twice on the same data, learning on and off, and print the difference',
    )
    .action(async (flags: PaperFlags) => {
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
    });
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
