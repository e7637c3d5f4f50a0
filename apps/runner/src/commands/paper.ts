import type { Command } from 'commander';
import { addDataOptions, type DataFlags } from '../feeds/data-flags.ts';
import { runIdFlag } from '../runs/run-id.ts';
import type { CliIO } from './io.ts';

/** `orrery paper`'s flags, as commander parses them. */
export interface PaperFlags extends DataFlags {
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
      const { paper } = await import('./actions/paper.ts');
      await paper(flags, io);
    });
}
