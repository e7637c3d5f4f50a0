import type { Command } from 'commander';
import { positiveInt } from '../delegation/cli-options.ts';
import type { CliIO } from './io.ts';

/** `orrery providers`'s flags, as commander parses them. */
export interface ProvidersFlags {
  json?: boolean;
  timeout: number;
  config?: string;
}

/** Registers `orrery providers`. */
export function registerProvidersCommand(program: Command, io: CliIO): void {
  program
    .command('providers')
    .description(
      'check each configured LLM provider: does it answer, which models it has (Ollama: installed), and the chain of each task type',
    )
    .option('--json', 'print the result as JSON')
    .option('--timeout <ms>', 'time limit of each probe', positiveInt, 3_000)
    .option('-c, --config <file>', 'YAML configuration file (default: ./orrery.yaml when present)')
    .action(async (flags: ProvidersFlags) => {
      await (await import('./actions/providers.ts')).checkProviders(flags, io);
    });
}
