import { gatewayWarnings } from '@orrery/core';
import { loadConfig } from '../../config/load.ts';
import { orreryJsonSchema } from '../../config/schema.ts';
import type { CliIO } from '../io.ts';

/** Runs `orrery config check`: validates the configuration and says what it sets up. */
export function configCheck(opts: { config?: string }, io: CliIO): void {
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
}

/** Runs `orrery config schema`: prints the configuration's JSON Schema. */
export function configSchema(io: CliIO): void {
  io.out(JSON.stringify(orreryJsonSchema(), null, 2));
}
