import { isPlanetKind, PLANET_KINDS } from '@orrery/agents';
import { BusError, NatsBus } from '@orrery/bus';
import { loadConfig } from '../../config/load.ts';
import { RunnerError, RunnerErrorCode } from '../../errors.ts';
import { openGateway, untilAborted } from '../../serve/open-gateway.ts';
import { builtinPlanetCatalog } from '../../serve/planet-catalog.ts';
import { servePlanet } from '../../serve/planet-service.ts';
import type { CliIO } from '../io.ts';
import type { PlanetFlags } from '../planet.ts';

/** Runs `orrery planet` (see its registration in ../planet.ts). */
export async function planet(name: string, flags: PlanetFlags, io: CliIO): Promise<void> {
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
}
