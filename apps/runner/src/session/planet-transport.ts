import { type Planet, remotePlanetSet, type SolarSystemConfig } from '@orrery/agents';
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
 * Opens `agents.transport`: for `nats`, connects a {@link NatsBus} and consults the listed planets
 * (default: every enabled built-in) through it (`remotePlanetSet` of `@orrery/agents`); each request
 * reaches one of the `orrery planet NAME --nats URL` workers subscribed (a queue group).
 * @throws RunnerError (`ORRERY_USAGE`) naming `agents.transport.url` when no server accepts the connection.
 */
export async function openPlanetTransport(agents: SolarSystemConfig): Promise<PlanetTransport> {
  const t = agents.transport;
  if (t.kind === 'local') return { agents, planets: [], note: null, close: async () => undefined };
  const { bus, servers, names } = await connectTransportBus(agents, t, 'orrery-sun');
  const set = remotePlanetSet(bus, agents, names, { timeoutMs: t.timeoutMs });
  return {
    ...set,
    note: `planets ${names.join(', ')} consulted over NATS at ${servers.join(',')} (prefix ${t.prefix})`,
    close: () => bus.close(),
  };
}
