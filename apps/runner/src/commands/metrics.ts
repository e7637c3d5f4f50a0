import type { Command } from 'commander';
import { positiveNumber } from '../delegation/cli-options.ts';
import type { CliIO } from './io.ts';

/** `orrery metrics`'s flags, as commander parses them. */
export interface MetricsFlags {
  days: number;
  json?: boolean;
  config?: string;
}

/** Registers `orrery metrics`. */
export function registerMetricsCommand(program: Command, io: CliIO): void {
  program
    .command('metrics')
    .description(
      'LLM usage from the gateway ledger: calls, tokens, latency, success rate by task type and by model, and the savings against the reference paid model',
    )
    .option('--days <n>', 'period, in days back from now', positiveNumber, 7)
    .option('--json', 'print the report as JSON')
    .option('-c, --config <file>', 'YAML configuration file (default: ./orrery.yaml when present)')
    .action(async (flags: MetricsFlags) => {
      (await import('./actions/metrics.ts')).metrics(flags, io);
    });
}
