import {
  Address,
  type Bus,
  InvalidMessageError,
  type Json,
  NoRespondersError,
  RequestTimeoutError,
} from '@orrery/bus';
import { ExecutionMode } from '@orrery/core';
import type { SolarSystemConfig } from '../config.ts';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import { createPlanet } from '../planets/create-planet.ts';
import { isPlanetKind } from '../planets/kinds.ts';
import type {
  AnalyzeOptions,
  Planet,
  PlanetAssessment,
  PlanetInput,
  PlanetReport,
} from '../planets/planet.ts';
import { PlanetTopic, planetAnalysisSchema } from './planet-wire.ts';

/** How to reach a planet hosted elsewhere (`orrery planet <name> --nats …`). */
export interface RemotePlanetOptions {
  /** The hosted planet's name. */
  name: string;
  /** Vote weight here (default 1). */
  weight?: number | undefined;
  /** Who asks (default `Address.client('sun')`); replies come back to it. */
  sender?: Address | undefined;
  /** Time limit of one request, ms (default: the bus's). */
  timeoutMs?: number | undefined;
  /**
   * The deterministic analysis used by `assess` (cycles without the planets' LLM step never leave the
   * process). Default: the built-in planet's of the same name; otherwise an abstention (confidence 0).
   */
  assess?: ((input: PlanetInput) => PlanetAssessment) | undefined;
  /**
   * When no worker answers in time (or none is subscribed), resolve with a report whose status is
   * `timeout` instead of rejecting: the cycle goes on with the other planets, and the planet answers
   * again as soon as a worker is back (no supervision restart is spent on a missing machine).
   */
  timeoutAsReport?: boolean | undefined;
}

/**
 * A {@link Planet} whose `analyze` runs in another process, over the bus: a sun (e.g.
 * `createSolarSystem({ planets: [() => remotePlanet(bus, { name: 'technical' })] })`) consults it like a
 * local one. `analyze` sends the snapshot to `Address.planet(name)` and returns the remote report; the
 * remote process's gateway pays for its one call, so a permit passed in `opts.allowance` only decides
 * whether the call is allowed (a spent permit asks for `MONITOR_ONLY`).
 *
 * `analyze` rejects with the bus's typed errors: `RequestTimeoutError` (no answer in time — e.g. the
 * process is gone), `RemoteError` (it refused the request), `RequestCancelledError` (`opts.signal`),
 * `InvalidMessageError` (the answer is not a planet analysis).
 */
export function remotePlanet(bus: Bus, opts: RemotePlanetOptions): Planet {
  const address = Address.planet(opts.name);
  const local = isPlanetKind(opts.name) ? createPlanet(opts.name) : undefined;
  const role = local?.role === undefined ? {} : { role: local.role };
  const assess =
    opts.assess ??
    ((input: PlanetInput): PlanetAssessment =>
      local?.assess(input) ?? {
        signal: 0,
        confidence: 0,
        reasons: [`planet ${opts.name} is remote and has no local deterministic analysis`],
      });
  const sender = opts.sender ?? Address.client('sun');
  return {
    name: opts.name,
    weight: opts.weight ?? 1,
    ...role,
    moons: local?.moons ?? [],
    assess,
    async analyze(snapshot: MoonSnapshot, o: AnalyzeOptions = {}): Promise<PlanetReport> {
      let reply: Awaited<ReturnType<Bus['request']>>;
      try {
        reply = await bus.request(
          address,
          { sender, topic: PlanetTopic.ANALYZE, body: analyzeRequestBody(snapshot, o) },
          {
            ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
            ...(o.signal === undefined ? {} : { signal: o.signal }),
          },
        );
      } catch (err) {
        const gone = err instanceof RequestTimeoutError || err instanceof NoRespondersError;
        if (!opts.timeoutAsReport || !gone) throw err;
        return {
          planet: opts.name,
          status: 'timeout',
          source: 'deterministic',
          weight: opts.weight ?? 1,
          ...role,
          signal: 0,
          confidence: 0,
          reasons: [],
          error: `no worker for ${address} answered: ${(err as Error).message}`,
        };
      }
      const report = analysisReport(address, reply.payload.body);
      return { ...report, weight: opts.weight ?? report.weight };
    },
  };
}

/**
 * The body of an `analyze` request: the snapshot's wire fields, the mode (`MONITOR_ONLY` when asked or
 * when the call permit is spent, `LIGHT_REASONING` otherwise), news and portfolio when given; plain JSON.
 */
function analyzeRequestBody(snapshot: MoonSnapshot, o: AnalyzeOptions): Json {
  const spent = o.allowance !== undefined && o.allowance.used >= o.allowance.limit;
  const mode =
    o.mode === ExecutionMode.MONITOR_ONLY || spent
      ? ExecutionMode.MONITOR_ONLY
      : ExecutionMode.LIGHT_REASONING;
  return JSON.parse(
    JSON.stringify({
      snapshot: {
        symbol: snapshot.symbol,
        bar: snapshot.bar,
        barsSeen: snapshot.barsSeen,
        readings: snapshot.readings,
        failedMoons: snapshot.failedMoons,
      },
      mode,
      ...(o.news === undefined ? {} : { news: o.news }),
      ...(o.portfolio === undefined ? {} : { portfolio: o.portfolio }),
    }),
  ) as Json;
}

/** The report inside a planet's answer. @throws InvalidMessageError when the answer is not an analysis. */
function analysisReport(address: string, body: unknown): PlanetReport {
  const parsed = planetAnalysisSchema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidMessageError(`${address} answered something that is not a planet analysis`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path, message: i.message })),
    });
  }
  return parsed.data.report as PlanetReport;
}

/** The planets of a system split by where they run: the ones built here, and the remote ones. */
export interface RemotePlanetSet {
  /** The agents' configuration with the remote planets taken out of `planets.enabled`. */
  readonly agents: SolarSystemConfig;
  /** Factories of the planets consulted over the bus, each a {@link remotePlanet} (empty: none named). */
  readonly planets: readonly (() => Planet)[];
}

/**
 * Consults the planets `names` over `bus` instead of in-process: each becomes a {@link remotePlanet} with
 * its configured weight, the given time limit and `timeoutAsReport` (a planet with no worker left answers
 * `timeout` for the cycle, which goes on with the others, and answers again once a worker is back), and
 * is taken out of `agents.planets.enabled` so the system does not build it locally too. Pass the result to
 * `createSolarSystem({ config: set.agents, planets: set.planets })`.
 */
export function remotePlanetSet(
  bus: Bus,
  agents: SolarSystemConfig,
  names: readonly string[],
  opts: { timeoutMs?: number | undefined } = {},
): RemotePlanetSet {
  const planets = names.map((name) => () => {
    const weight = agents.planets.weights[name];
    return remotePlanet(bus, {
      name,
      ...(weight === undefined ? {} : { weight }),
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      timeoutAsReport: true,
    });
  });
  return {
    agents: {
      ...agents,
      planets: { ...agents.planets, enabled: agents.planets.enabled.filter((p) => !names.includes(p)) },
    },
    planets,
  };
}
