import type { Planet, SolarSystemConfig } from '@orrery/agents';
import { remotePlanet } from '../serve/remote-planet.ts';
import { connectTransportBus } from './transport-bus.ts';

/** Where the run's planets live: the agents' config to build locally, the remote planets, and the bus. */
export interface PlanetTransport {
  /** The agents' configuration with the remote planets taken out of `planets.enabled`. */
  readonly agents: SolarSystemConfig;
  /** Factories of the planets consulted over NATS (empty for `local`). */
  readonly planets: readonly (() => Planet)[];
  /** One line for the run's notes, or null for `local`. */
  readonly note: string | null;
  close(): Promise<void>;
}

/**
 * Opens `agents.transport`: for `nats`, connects a {@link NatsBus} and turns the listed planets (default:
 * every enabled built-in) into remote planets that the sun consults through it; each request reaches one
 * of the `orrery planet NAME --nats URL` workers subscribed (a queue group). A planet with no worker left
 * answers `timeout` for the cycle, which goes on with the others, and answers again once a worker is back.
 * @throws RunnerError (`ORRERY_USAGE`) naming `agents.transport.url` when no server accepts the connection.
 */
export async function openPlanetTransport(agents: SolarSystemConfig): Promise<PlanetTransport> {
  const t = agents.transport;
  if (t.kind === 'local') return { agents, planets: [], note: null, close: async () => undefined };
  const { bus, servers, names: remote } = await connectTransportBus(agents, t, 'orrery-sun');
  const planets = remote.map((name) => () => {
    const weight = agents.planets.weights[name];
    return remotePlanet(bus, {
      name,
      ...(weight === undefined ? {} : { weight }),
      timeoutMs: t.timeoutMs,
      timeoutAsReport: true,
    });
  });
  return {
    agents: {
      ...agents,
      planets: { ...agents.planets, enabled: agents.planets.enabled.filter((p) => !remote.includes(p)) },
    },
    planets,
    note: `planets ${remote.join(', ')} consulted over NATS at ${servers.join(',')} (prefix ${t.prefix})`,
    close: () => bus.close(),
  };
}
