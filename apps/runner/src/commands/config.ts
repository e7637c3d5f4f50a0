import { gatewayWarnings } from '@orrery/core';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { orreryJsonSchema } from '../config/schema.ts';
import type { CliIO } from './io.ts';

/** Registers `orrery config check` and `orrery config schema`. */
export function registerConfigCommands(program: Command, io: CliIO): void {
  const config = program.command('config').description('check the configuration or print its JSON Schema');

  config
    .command('check')
    .description('validate a configuration file (or the defaults) and say what it sets up')
    .option('-c, --config <file>', 'YAML configuration file (default: ./orrery.yaml when present)')
    .action((opts: { config?: string }) => {
      const { config: c, gateway, source } = loadConfig({ file: opts.config, env: io.env, cwd: io.cwd });
      const providers = Object.entries(gateway.providers).map(
        ([name, p]) => `${name} (${p.local ? 'local' : p.apiKey ? 'key set' : 'no key'})`,
      );
      io.out(
        [
          `${source}: OK`,
          `  data: ${c.run.data.map((d) => d.source).join(', ')}`,
          `  ledger: ${c.run.ledgerPath}`,
          `  providers: ${providers.join(', ')}`,
          `  memory: ${c.memory === false ? 'off' : `${c.memory.dbPath} (chroma ${c.memory.chroma.mode})`}`,
          `  broker: cash ${c.broker.initialCash}, fee ${c.broker.feeBps} bps, slippage ${c.broker.slippageBps} bps`,
        ].join('\n'),
      );
      for (const w of gatewayWarnings(gateway)) io.err(`warning: ${w}`);
    });

  config
    .command('schema')
    .description('print the JSON Schema of the configuration file')
    .action(() => {
      io.out(JSON.stringify(orreryJsonSchema(), null, 2));
    });
}
