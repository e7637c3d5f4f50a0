import type { SolarSystemConfig } from '@orrery/agents';
import { connectTransportBus } from '../session/transport-bus.ts';
import type { RemotePlanets } from './planet-desk.ts';

/** The remote planets of `orrery serve`, and how to let go of their bus. */
export interface RemotePlanetsConnection {
  /** `undefined` for `agents.transport: local` (every planet hosted in-process). */
  readonly remote: RemotePlanets | undefined;
  /** Closes the NATS connection (after the server has closed). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens `agents.transport` for `orrery serve`, as `orrery paper` does for its sun: for `nats`, connects a
 * {@link NatsBus} (prefix `agents.transport.prefix`) and names the planets asked there —
 * `agents.transport.planets` (default: every enabled built-in), kept to the enabled ones — each answered by
 * one of the `orrery planet NAME --nats URL` workers subscribed (a queue group) within
 * `agents.transport.timeoutMs`.
 * @throws RunnerError (`ORRERY_USAGE`) naming `agents.transport.url` when no server accepts the connection.
 */
export async function connectRemotePlanets(agents: SolarSystemConfig): Promise<RemotePlanetsConnection> {
  const t = agents.transport;
  if (t.kind === 'local') return { remote: undefined, close: async () => undefined };
  const { bus, servers, names } = await connectTransportBus(agents, t, 'orrery-serve');
  let closing: Promise<void> | undefined;
  return {
    remote: { bus, names, timeoutMs: t.timeoutMs, where: `nats ${servers.join(',')} (prefix ${t.prefix})` },
    close() {
      closing ??= bus.close();
      return closing;
    },
  };
}
