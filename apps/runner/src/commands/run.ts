import type { Command } from 'commander';
import { runIdFlag } from '../runs/run-id.ts';
import type { CliIO } from './io.ts';

/** `orrery run`'s flags, as commander parses them. */
export interface RunFlags {
  exchange?: string;
  symbol?: string;
  timeframe?: string;
  apiUrl?: string;
  config?: string;
  runId?: string;
  resume?: boolean;
  report?: string;
  maxBars?: string;
  memory: boolean;
  json?: boolean;
  exportTrades?: string;
}

/** Registers `orrery run`: the loop on a live public feed, executed by the paper broker. */
export function registerRunCommand(program: Command, io: CliIO): void {
  program
    .command('run')
    .description(
      'the trading loop on a live feed (public OHLCV through ccxt, no API key), executed by the paper broker: no order leaves this process',
    )
    .option('--exchange <id>', 'ccxt exchange id (default: run.live.exchange, binance)')
    .option('--symbol <symbol>', 'market symbol, e.g. BTC/USDT (default: run.live.symbol)')
    .option('--timeframe <tf>', 'bar interval: 1m, 1h, 1d… (default: run.live.timeframe)')
    .option('--api-url <url>', "replace the exchange's public REST base URL (a proxy or mirror)")
    .option('-c, --config <file>', 'YAML configuration (default: ./orrery.yaml when present)')
    .option('--run-id <id>', 'name of the run in the ledger (default: live-<timestamp>)', runIdFlag)
    .option('--resume', 'continue --run-id (or the latest unfinished run)')
    .option('--report <path>', 'where to write the HTML report when the run stops')
    .option('--max-bars <n>', 'stop after this many traded bars (default: run until interrupted)')
    .option('--no-memory', 'run without episodic memory (and without its Chroma server)')
    .option('--json', 'print the summary as one JSON object on stdout when the run stops')
    .option('--export-trades <file>', 'also write the trade list as CSV (with a header) to <file>')
    .action(async (flags: RunFlags) => {
      await (await import('./actions/run.ts')).runCommand(flags, io);
    });
}
