import { PLANET_KINDS } from '@orrery/agents/planet-kinds';
import type { Command } from 'commander';
import type { CliIO } from './io.ts';
import { intFlag } from './serve.ts';

/** `orrery planet`'s flags, as commander parses them. */
export interface PlanetFlags {
  nats: string;
  queue: string;
  prefix: string;
  config?: string;
  gatewayDb?: string;
  llm: boolean;
  concurrency: number;
}

/** Registers `orrery planet <name>`: one planet as a service on the NATS bus. */
export function registerPlanetCommand(program: Command, io: CliIO): void {
  program
    .command('planet')
    .description(
      `host one planet (${PLANET_KINDS.join(', ')}) on NATS: it answers analyze requests to planet.<name>`,
    )
    .argument('<name>', 'the planet')
    .requiredOption('--nats <url>', 'NATS server URL(s), comma-separated, e.g. nats://127.0.0.1:4222')
    .option('--prefix <prefix>', 'subject prefix shared with the sun', 'orrery')
    .option(
      '--queue <group>',
      'NATS queue group: processes hosting the same planet with the same group share its load',
      'orrery-planets',
    )
    .option('-c, --config <file>', 'YAML configuration (default: ./orrery.yaml when present)')
    .option('--gateway-db <file>', 'gateway SQLite file (default: run.gatewayDbPath; :memory: for none)')
    .option('--no-llm', 'deterministic analysis only (no gateway, no LLM call)')
    .option('--concurrency <n>', 'analyses run at once', intFlag(1), 8)
    .action(async (name: string, flags: PlanetFlags) => {
      await (await import('./actions/planet.ts')).planet(name, flags, io);
    });
}
