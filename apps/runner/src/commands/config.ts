import type { Command } from 'commander';
import type { CliIO } from './io.ts';

/** Registers `orrery config check` and `orrery config schema`. */
export function registerConfigCommands(program: Command, io: CliIO): void {
  const config = program.command('config').description('check the configuration or print its JSON Schema');

  config
    .command('check')
    .description('validate a configuration file (or the defaults) and say what it sets up')
    .option('-c, --config <file>', 'YAML configuration file (default: ./orrery.yaml when present)')
    .action(async (opts: { config?: string }) => {
      (await import('./actions/config.ts')).configCheck(opts, io);
    });

  config
    .command('schema')
    .description('print the JSON Schema of the configuration file')
    .action(async () => {
      (await import('./actions/config.ts')).configSchema(io);
    });
}
