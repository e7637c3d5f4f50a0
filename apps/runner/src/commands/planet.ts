import { isPlanetKind, PLANET_KINDS } from '@orrery/agents';
import { BusError, NatsBus } from '@orrery/bus';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.ts';
import { RunnerError, RunnerErrorCode } from '../errors.ts';
import { openGateway, untilAborted } from '../serve/open-gateway.ts';
import { builtinPlanetCatalog } from '../serve/planet-catalog.ts';
import { servePlanet } from '../serve/planet-service.ts';
import type { CliIO } from './io.ts';
import { intFlag } from './serve.ts';

interface PlanetFlags {
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
      if (!isPlanetKind(name)) {
        throw new RunnerError(
          RunnerErrorCode.USAGE,
          `unknown planet ${JSON.stringify(name)} (known: ${PLANET_KINDS.join(', ')})`,
        );
      }
      const loaded = loadConfig({ file: flags.config, env: io.env, cwd: io.cwd });
      const gateway = flags.llm ? openGateway(loaded, flags.gatewayDb, io.cwd) : null;
      try {
        const servers = flags.nats
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        const bus = await NatsBus.connect({
          servers,
          prefix: flags.prefix,
          name: `orrery-planet-${name}`,
          // Workers hosting the same planet share its requests: each analysis reaches one of them.
          queue: flags.queue,
          onError: (e) => io.err(`orrery planet ${name}: ${e.code}: ${e.message}`),
        }).catch((err: unknown) => {
          if (!(err instanceof BusError)) throw err;
          throw new RunnerError(
            RunnerErrorCode.USAGE,
            `--nats ${flags.nats} --prefix ${flags.prefix}: ${err.message}`,
            {
              cause: err,
            },
          );
        });
        const service = servePlanet({
          bus,
          name,
          planets: builtinPlanetCatalog(PLANET_KINDS, loaded.config.agents.planets.weights),
          gateway,
          moons: loaded.config.agents,
          concurrency: flags.concurrency,
          onFailure: (code, message) => io.err(`orrery planet ${name}: refused: ${code}: ${message}`),
        });
        try {
          await bus.flush();
          io.out(
            `orrery planet: ${name} answering ${flags.prefix}.${service.address} on ${servers.join(',')} (${gateway === null ? 'deterministic' : 'one LLM call per analysis at most'})`,
          );
          await untilAborted(io.signal);
          io.err(`orrery planet ${name}: stopping after ${service.answered} analyses`);
        } finally {
          await service.stop();
          await bus.close();
        }
      } finally {
        await gateway?.close();
      }
    });
}
