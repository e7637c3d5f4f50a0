import {
  type LLMCaller,
  type PlanetAnalysis,
  PlanetTopic,
  planetAnalysisSchema,
  type SolarSystemConfigInput,
} from '@orrery/agents';
import { Address, type Bus, InvalidMessageError, type Json } from '@orrery/bus';
import type { AnalysisInput } from './planet-analysis.ts';
import type { PlanetCatalog } from './planet-catalog.ts';
import { type PlanetService, servePlanet } from './planet-service.ts';

/** Planets hosted by workers in other processes (`orrery planet NAME --nats URL`), reached over their bus. */
export interface RemotePlanets {
  /** The bus the workers answer on (a `NatsBus`); the desk does not close it. */
  readonly bus: Bus;
  /** The planets asked there; none of them is hosted in-process. */
  readonly names: readonly string[];
  /** Time limit of one remote analysis, ms (`agents.transport.timeoutMs`). */
  readonly timeoutMs: number;
  /** Where the workers are, for listings and messages (e.g. `nats://10.0.0.5:4222`). */
  readonly where: string;
}

/** How to open a {@link PlanetDesk}. */
export interface PlanetDeskOptions {
  /** The bus the in-process planets are served on (a `LocalBus`); the desk does not close it. */
  bus: Bus;
  /** Where the in-process planets come from. */
  planets: PlanetCatalog;
  /** The in-process planets' gateway. */
  gateway: LLMCaller;
  /** Moon settings of the in-process planets' services. */
  moons?: SolarSystemConfigInput | undefined;
  /** The open budget chains, by id (see `servePlanet`'s `chains`). */
  chains: (chainId: string) => LLMCaller | undefined;
  /** Analyses each in-process planet runs at once. */
  concurrency: number;
  /**
   * Backstop on an in-process request, ms (default 300 000): the gateway's own time limits bound the
   * planet's one LLM call long before.
   */
  localTimeoutMs?: number | undefined;
  /** Planets reached over another bus instead of in-process. */
  remote?: RemotePlanets | undefined;
}

/** One planet the desk answers for, and where it runs. */
export interface DeskPlanet {
  readonly name: string;
  /** `local`: served in this process on the desk's bus; `remote`: by workers on `RemotePlanets.bus`. */
  readonly where: 'local' | 'remote';
}

/** The planets `orrery serve` answers for, each consulted by a request on a bus. */
export interface PlanetDesk {
  /** Every planet, sorted by name. */
  readonly planets: readonly DeskPlanet[];
  /** Where `name` runs, or `undefined` for a planet not answered here. */
  whereIs(name: string): DeskPlanet['where'] | undefined;
  /** The remote planets' bus location (`undefined` without remote planets). */
  readonly remoteWhere: string | undefined;
  /**
   * Sends the checked input (as a moon snapshot, the wire form of `analyzeBodySchema`) to
   * `Address.planet(name)` with topic `analyze` and resolves with the validated `PlanetAnalysis` reply.
   * `chainId` only for a local planet. Rejects with the bus's typed errors (`NoRespondersError`,
   * `RequestTimeoutError`, `RemoteError`, `MailboxFullError`, `RequestCancelledError` through `signal`)
   * or `InvalidMessageError` when the reply is not a planet analysis.
   */
  analyze(
    name: string,
    input: AnalysisInput,
    opts?: { chainId?: string | undefined; signal?: AbortSignal | undefined },
  ): Promise<PlanetAnalysis>;
  /** Stops the in-process services, waiting for the analyses in flight. Idempotent. */
  stop(): Promise<void>;
}

const SENDER = Address.client('serve');

/**
 * Hosts the catalog's planets (but the remote ones) with `servePlanet` on `opts.bus` and answers for
 * both kinds: every analysis is a request on a bus, so what answers a route is what answers `orrery paper`
 * and `orrery run` over the same transport.
 * @throws RangeError for a non-integer concurrency or local time limit below 1.
 */
export function openPlanetDesk(opts: PlanetDeskOptions): PlanetDesk {
  const remote = opts.remote;
  const remoteNames = new Set(remote?.names ?? []);
  const localTimeoutMs = opts.localTimeoutMs ?? 300_000;
  if (!Number.isInteger(localTimeoutMs) || localTimeoutMs < 1)
    throw new RangeError('localTimeoutMs must be an integer >= 1');
  const services: PlanetService[] = [];
  const where = new Map<string, DeskPlanet['where']>();
  for (const name of opts.planets.names) {
    if (remoteNames.has(name)) continue;
    services.push(
      servePlanet({
        bus: opts.bus,
        name,
        planets: opts.planets,
        gateway: opts.gateway,
        moons: opts.moons,
        chains: opts.chains,
        concurrency: opts.concurrency,
      }),
    );
    where.set(name, 'local');
  }
  for (const name of remoteNames) where.set(name, 'remote');
  const planets = [...where.entries()]
    .map(([name, w]) => ({ name, where: w }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  let stopping: Promise<void> | undefined;

  return {
    planets,
    remoteWhere: remote?.where,
    whereIs: (name) => where.get(name),
    async analyze(name, input, o = {}) {
      const kind = where.get(name);
      if (kind === undefined) throw new RangeError(`no planet ${JSON.stringify(name)} here`);
      if (kind === 'remote' && o.chainId !== undefined)
        throw new RangeError(`planet ${name} is remote: budget chains reach in-process planets only`);
      const s = input.snapshot;
      // A JSON round trip drops the undefined fields and turns non-finite figures into null (the
      // snapshot schema's "not known yet").
      const body = JSON.parse(
        JSON.stringify({
          snapshot: {
            symbol: s.symbol,
            bar: s.bar,
            barsSeen: s.barsSeen,
            readings: s.readings,
            failedMoons: s.failedMoons,
          },
          mode: input.mode,
          news: input.news,
          portfolio: input.portfolio,
          chainId: o.chainId,
        }),
      ) as Json;
      const bus = kind === 'remote' && remote !== undefined ? remote.bus : opts.bus;
      const reply = await bus.request(
        Address.planet(name),
        { sender: SENDER, topic: PlanetTopic.ANALYZE, body },
        {
          timeoutMs: kind === 'remote' && remote !== undefined ? remote.timeoutMs : localTimeoutMs,
          ...(o.signal === undefined ? {} : { signal: o.signal }),
        },
      );
      const parsed = planetAnalysisSchema.safeParse(reply.payload.body);
      if (!parsed.success) {
        throw new InvalidMessageError(`planet.${name} answered something that is not a planet analysis`, {
          issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })),
        });
      }
      // The reply as sent (validated): fields this server's schema does not know are kept.
      return reply.payload.body as unknown as PlanetAnalysis;
    },
    stop() {
      stopping ??= Promise.allSettled(services.map((svc) => svc.stop())).then(() => undefined);
      return stopping;
    },
  };
}
