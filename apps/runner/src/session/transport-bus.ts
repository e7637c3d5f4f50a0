import type { SolarSystemConfig } from '@orrery/agents';
import { BusError, NatsBus } from '@orrery/bus';
import { RunnerError, RunnerErrorCode } from '../errors.ts';

/** A connected `agents.transport: nats`: the bus, its servers, and the enabled planets asked over it. */
export interface TransportBus {
  readonly bus: NatsBus;
  readonly servers: readonly string[];
  /** `agents.transport.planets` (default: every enabled built-in), kept to the enabled ones. */
  readonly names: readonly string[];
}

/**
 * Connects the {@link NatsBus} of a `nats` transport (prefix `agents.transport.prefix`) as client `name`,
 * for `orrery paper`/`run` and `orrery serve` alike.
 * @throws RunnerError (`ORRERY_USAGE`) naming `agents.transport.url` when no server accepts the connection.
 */
export async function connectTransportBus(
  agents: SolarSystemConfig,
  t: Extract<SolarSystemConfig['transport'], { kind: 'nats' }>,
  name: string,
): Promise<TransportBus> {
  const servers = Array.isArray(t.url) ? t.url : [t.url];
  const bus = await NatsBus.connect({ servers, prefix: t.prefix, name }).catch((err: unknown) => {
    if (!(err instanceof BusError)) throw err;
    throw new RunnerError(
      RunnerErrorCode.USAGE,
      `agents.transport.url ${servers.join(',')}: ${err.message}`,
      {
        cause: err,
      },
    );
  });
  const names = (t.planets ?? agents.planets.enabled).filter((p) => agents.planets.enabled.includes(p));
  return { bus, servers, names };
}
