import { randomUUID } from 'node:crypto';
import { type Bus, LocalBus } from '@orrery/bus';
import { type Clock, systemClock } from '@orrery/core';
import { type ActorRefFrom, createActor } from 'xstate';
import { type BatchMember, type BatchOptions, BatchWindow } from './batching/batch-window.ts';
import {
  cacheSettingsFor,
  parseSolarSystemConfig,
  type SolarSystemConfig,
  type SolarSystemConfigInput,
} from './config.ts';
import { ConsultDesk, LateralBoard } from './consult/desk.ts';
import { hostPlanets } from './consult/host.ts';
import type { CycleRecord } from './cycle-record.ts';
import { InvalidConfigError, InvalidInputError, SolarSystemStoppedError } from './errors.ts';
import { type SunTuning, tunedPlanet } from './learning/sun-tuning.ts';
import type { LLMCaller } from './llm-caller.ts';
import { assertValidBar, assertValidPortfolio } from './market.ts';
import { type MoonFactory, peekable } from './moons/moon.ts';
import { moonFactories } from './moons/registry.ts';
import { planetFromSpec } from './planet-spec.ts';
import {
  AnswerCache,
  type AnswerCacheStats,
  CACHE_EXTRA_THRESHOLDS,
  emptyCacheStats,
} from './planets/answer-cache.ts';
import { BUILTIN_PLANETS, createPlanet } from './planets/create-planet.ts';
import type { Planet } from './planets/planet.ts';
import { compileRouting, DEFAULT_ROUTING, pruneRouting, type Routing } from './routing.ts';
import { cycleDirect } from './sun/cycle-direct.ts';
import type { CycleInput } from './sun/cycle-work.ts';
import type { Named, sunMachine } from './sun/machine.ts';
import type { SunMemory } from './sun/memory.ts';
import { orchestratorMachine, symbolSunId } from './sun/orchestrator.ts';
import { type SunThoughts, THOUGHT_AGENTS, THOUGHT_TASKS, type ThoughtKind } from './sun/thoughts.ts';

/** What {@link createSolarSystem} takes. Everything is optional. */
export interface SolarSystemOptions {
  config?: SolarSystemConfigInput;
  /** The LLM gateway; `null` or absent: no LLM at all (deterministic planets and consensus). */
  gateway?: LLMCaller | null;
  /** Episodic memory for recall (FULL_AGENT) and for recording reasoned decisions. */
  memory?: SunMemory | null;
  /**
   * The medium between the sun, its planets and its moons (default: an in-process `LocalBus` of its
   * own, closed by `stop()`; a bus passed in is left open). The sun consults planets with
   * `sun.directive`s to `planet.<name>` answered by `planet.report`s, moons publish `moon.reading` and
   * `moon.critical` to the sun, decisions are broadcast.
   */
  bus?: Bus | null;
  /** Drives supervision windows (default: the system clock). */
  clock?: Clock;
  /** Receives one-line notices (no gateway, memory or bus failures). */
  log?: (msg: string) => void;
  /** Extra moons, updated after the built-in ones and before the material-change detector. */
  moons?: readonly MoonFactory[];
  /** Extra planets (e.g. `planetFromSpec`), consulted with the enabled built-in ones. */
  planets?: readonly (() => Planet)[];
  /** How `cycleMany` batches planet calls across symbols; `false` never batches. */
  batching?: BatchOptions | false;
  /**
   * Learned parameters read at every cycle (e.g. a `Learner`): planet vote weights and the regime
   * playbook's risk multipliers. A change applies from the next cycle.
   */
  tuning?: SunTuning | null;
  /**
   * Scopes the answer caches' keys in the gateway's cache (e.g. the run id, so a resumed run finds its
   * own answers and no other run's); default: random, this system's own.
   */
  cacheScope?: string;
}

/** The state of one symbol's sun, for health checks. */
export interface SunHealth {
  symbol: string;
  /** The machine state (`idle` between cycles; `escalated` once a child escalated). */
  state: string;
  /** Children stopped for good by supervision (`moon:<name>`, `planet:<name>`). */
  stopped: string[];
}

/**
 * The running agents: one orchestrator over the portfolio (an XState actor), which spawns and supervises
 * one child sun per symbol on the symbol's first bar.
 */
export interface SolarSystem {
  readonly config: SolarSystemConfig;
  /**
   * Runs one cycle for a new bar of one symbol and resolves with its record. Cycles of one symbol run
   * one after another in call order; different symbols run concurrently.
   * @throws InvalidInputError for a malformed bar or portfolio, an empty symbol, or a bar not later
   *   than the symbol's previous one; SupervisionEscalatedError once the symbol's sun escalated;
   *   SolarSystemStoppedError after `stop()`.
   */
  cycle(input: CycleInput): Promise<CycleRecord>;
  /**
   * Runs one cycle for each input — several symbols, one bar each — at once, and resolves with their
   * records in input order. Symbols whose bars share a time and whose cycles are in `LIGHT_REASONING`
   * have each planet ask the LLM once for all of them (see `BatchOptions`): one prompt, one JSON answer
   * per symbol, each validated on its own; a symbol whose part is invalid keeps that planet's
   * deterministic analysis. A batched call counts as one call in the budget and `1/n` of a call (with a
   * share of its tokens) in each of the n cycle records it served. The step's decisions are then held to
   * the portfolio limits together (`risk.maxCorrelatedExposure`: positions that are one bet).
   * @throws InvalidInputError when a symbol appears twice; otherwise what `cycle` throws, for the first
   *   input that failed (after every cycle has settled).
   */
  cycleMany(inputs: readonly CycleInput[]): Promise<CycleRecord[]>;
  /**
   * Between scheduled cycles: the symbol's moons peek at `input.bar`, a bar still forming (read at
   * `asOf`), without committing anything. Resolves with null when nothing is critical; otherwise the
   * critical updates are published as `moon.critical` (priority `critical`) and the sun runs an
   * unscheduled cycle on the peeked snapshot — mode chosen before any LLM call, the same per-cycle call
   * allowance and budget as any cycle — whose record carries `wokenBy`. The bar's close is then cycled
   * as usual (`bar.time` may equal the forming bar's): a wake never advances the symbol's last time.
   * @throws InvalidInputError as `cycle` does, or when `bar.time` is not after the symbol's last bar.
   */
  wake(input: CycleInput & { asOf: number }): Promise<CycleRecord | null>;
  health(): SunHealth[];
  /**
   * The answer caches' counters by agent (`planet:technical`, `sun:summary`, …), over every symbol:
   * hits, misses by reason, calls and dollars saved (see `agents.cache`).
   */
  cacheStats(): Record<string, AnswerCacheStats>;
  /** Stops every sun and its children (in-flight LLM calls are aborted). Idempotent. */
  stop(): Promise<void>;
}

type SunActor = ActorRefFrom<typeof sunMachine>;

interface SymbolSun {
  actor: SunActor;
  lastTime: number;
  tail: Promise<unknown>;
  waiters: Map<number, { resolve(r: CycleRecord | null): void; reject(e: Error): void }>;
}

/**
 * Creates the agents' runtime. With `gateway: null` it runs on deterministic planets and their
 * consensus, and says so once through `log`.
 * @throws InvalidConfigError for an invalid configuration or duplicate moon/planet names.
 */
export function createSolarSystem(opts: SolarSystemOptions = {}): SolarSystem {
  // Long (~190 lines) because it is a factory: the returned methods and `sunFor`/`enqueue` close over the
  // run's shared state (the suns by symbol, the orchestrator, the cycle ids, `stopped`), each of them short.
  // Its setup is in the helpers below (`answerCaches`, `planetFactories`, `batchMembers`); the next step
  // would be a class holding that state.
  const config = parseSolarSystemConfig(opts.config);
  const log = opts.log ?? (() => undefined);
  const gateway = opts.gateway ?? null;
  if (gateway === null)
    log('orrery/agents: no LLM gateway: planets decide deterministically, the sun never reasons');
  const moons = named(moonFactories(config, opts.moons).map(peekable), 'moon');
  const tuning = opts.tuning ?? null;
  const { cacheBook, answerCache } = answerCaches(config, gateway, opts.cacheScope ?? randomUUID());
  const planets = planetFactories(config, opts.planets ?? [], answerCache, tuning);
  const ownBus = opts.bus == null;
  const bus = opts.bus ?? new LocalBus();
  const desk = new ConsultDesk();
  // This process hosts its planets on the bus: one subscription per planet name serves every symbol.
  const unhost = hostPlanets(
    bus,
    planets.map((p) => p.name),
    desk,
    new LateralBoard(),
  );
  const orchestrator = createActor(orchestratorMachine, {
    input: {
      config,
      gateway,
      memory: opts.memory ?? null,
      bus,
      desk,
      clock: opts.clock ?? systemClock,
      moons,
      planets,
      log,
      tuning,
      roles: Object.fromEntries(planets.map((p) => [p.name, p.create().role ?? 'forecast'])),
      routing: routingOf(
        config,
        planets.map((p) => p.name),
      ),
    },
  });
  orchestrator.start();
  const suns = new Map<string, SymbolSun>();
  const batching = opts.batching ?? {};
  const book = orchestrator.getSnapshot().context.book;
  let stopped = false;
  let nextId = 1;

  const sunFor = (symbol: string): SymbolSun => {
    const existing = suns.get(symbol);
    if (existing !== undefined) return existing;
    const thoughts: SunThoughts = { caches: {} };
    for (const kind of Object.keys(THOUGHT_TASKS) as ThoughtKind[]) {
      const cache = answerCache(THOUGHT_AGENTS[kind], THOUGHT_TASKS[kind]);
      if (cache !== null) thoughts.caches[kind] = cache;
    }
    orchestrator.send({ type: 'OPEN', symbol, thoughts });
    const actor = orchestrator.getSnapshot().children[symbolSunId(symbol)] as SunActor;
    const sun: SymbolSun = {
      actor,
      lastTime: Number.NEGATIVE_INFINITY,
      tail: Promise.resolve(),
      waiters: new Map(),
    };
    actor.on('cycle.done', (e) => {
      sun.waiters.get(e.id)?.resolve(e.record);
      sun.waiters.delete(e.id);
    });
    actor.on('cycle.quiet', (e) => {
      sun.waiters.get(e.id)?.resolve(null);
      sun.waiters.delete(e.id);
    });
    actor.on('cycle.failed', (e) => {
      sun.waiters.get(e.id)?.reject(e.error);
      sun.waiters.delete(e.id);
    });
    actor.subscribe({
      error: (err) => {
        for (const w of sun.waiters.values()) w.reject(err instanceof Error ? err : new Error(String(err)));
        sun.waiters.clear();
      },
    });
    suns.set(symbol, sun);
    return sun;
  };

  /** Validates `input`, then runs `send` on the symbol's sun after its earlier cycles (in call order). */
  const enqueue = <T extends CycleRecord | null>(
    input: CycleInput,
    send: (sun: SymbolSun, id: number) => Promise<T>,
  ): Promise<T> => {
    if (stopped) return Promise.reject(new SolarSystemStoppedError());
    try {
      if (typeof input.symbol !== 'string' || input.symbol.trim() === '') {
        throw new InvalidInputError('symbol must be a non-empty string', { field: 'symbol' });
      }
      assertValidBar(input.bar);
      assertValidPortfolio(input.portfolio);
    } catch (err) {
      return Promise.reject(err);
    }
    const sun = sunFor(input.symbol);
    const id = nextId++;
    const run = (): Promise<T> => {
      if (stopped) return Promise.reject(new SolarSystemStoppedError());
      if (input.bar.time <= sun.lastTime) {
        return Promise.reject(
          new InvalidInputError(
            `bar.time ${input.bar.time} of ${input.symbol} is not after its previous bar (${sun.lastTime})`,
            { field: 'bar.time' },
          ),
        );
      }
      return send(sun, id);
    };
    const result = sun.tail.then(run, run);
    sun.tail = result.catch(() => undefined);
    return result;
  };
  const awaitRecord = <T extends CycleRecord | null>(sun: SymbolSun, id: number) =>
    new Promise<T>((resolve, reject) => {
      sun.waiters.set(id, { resolve: resolve as (r: CycleRecord | null) => void, reject });
    });

  const cycleOne = (input: CycleInput, batch: BatchMember | null): Promise<CycleRecord> =>
    enqueue(input, (sun, id) => {
      sun.lastTime = input.bar.time;
      const out = cycleDirect(sun.actor, { type: 'CYCLE', id, input, batch });
      if ('record' in out) return Promise.resolve(out.record);
      const done = awaitRecord<CycleRecord>(sun, id);
      sun.actor.send(out.send);
      return done;
    });

  return {
    config,
    cycle: (input) => cycleOne(input, null),
    wake: ({ asOf, ...input }) =>
      enqueue(input, (sun, id) => {
        const done = awaitRecord<CycleRecord | null>(sun, id);
        sun.actor.send({ type: 'WAKE', id, input, asOf });
        return done;
      }),
    async cycleMany(inputs: readonly CycleInput[]): Promise<CycleRecord[]> {
      const seen = new Set<string>();
      for (const input of inputs) {
        if (seen.has(input?.symbol)) {
          throw new InvalidInputError(`symbol ${input.symbol} appears twice in one cycleMany`, {
            field: 'symbol',
          });
        }
        seen.add(input?.symbol);
      }
      const members = batchMembers(inputs, gateway, batching);
      const settled = await Promise.allSettled(
        inputs.map((input) => {
          const member = members.get(input) ?? null;
          const p = cycleOne(input, member);
          return member === null ? p : p.finally(() => member.done());
        }),
      );
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
      return book.step(
        inputs,
        settled.map((s) => (s as PromiseFulfilledResult<CycleRecord>).value),
      );
    },
    cacheStats(): Record<string, AnswerCacheStats> {
      return Object.fromEntries(
        [...cacheBook.entries()].map(([k, v]) => [k, { ...v, misses: { ...v.misses } }]),
      );
    },
    health(): SunHealth[] {
      return [...suns.entries()].map(([symbol, sun]) => {
        const snap = sun.actor.getSnapshot();
        return {
          symbol,
          state: typeof snap.value === 'string' ? snap.value : JSON.stringify(snap.value),
          stopped: snap.context.supervisor.stopped(),
        };
      });
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      orchestrator.stop();
      for (const sun of suns.values()) {
        for (const w of sun.waiters.values()) w.reject(new SolarSystemStoppedError());
        sun.waiters.clear();
      }
      unhost();
      if (ownBus) await bus.close();
    },
  };
}

/** The run's answer-cache counters by agent, and how to make a fresh cache of an agent for a task. */
function answerCaches(config: SolarSystemConfig, gateway: LLMCaller | null, cacheScope: string) {
  const cacheBook = new Map<string, AnswerCacheStats>();
  const statsOf = (agent: string): AnswerCacheStats => {
    let st = cacheBook.get(agent);
    if (st === undefined) {
      st = emptyCacheStats();
      cacheBook.set(agent, st);
    }
    return st;
  };
  /** A fresh answer cache of `agent` for `task` (one per planet instance, i.e. per symbol). */
  const answerCache = (agent: string, task: string): AnswerCache | null => {
    const settings = cacheSettingsFor(config, task);
    if (gateway === null || !settings.enabled) return null;
    return new AnswerCache(
      agent,
      settings,
      { ...CACHE_EXTRA_THRESHOLDS, ...config.materialChange.thresholds },
      config.materialChange.scaled,
      statsOf(agent),
      cacheScope,
    );
  };
  return { cacheBook, answerCache };
}

/** The enabled built-in planets, the spec planets and the extra ones, each tuned when tuning is given. */
function planetFactories(
  config: SolarSystemConfig,
  extra: readonly (() => Planet)[],
  answerCache: (agent: string, task: string) => AnswerCache | null,
  tuning: SunTuning | null,
): Named<() => Planet>[] {
  return named(
    [
      ...config.planets.enabled.map((kind) => () => {
        const weight = config.planets.weights[kind];
        const task = config.sun[BUILTIN_PLANETS[kind].sunTask];
        return createPlanet(kind, {
          task,
          cache: answerCache(`planet:${kind}`, task),
          execution: config.execution,
          ...(weight === undefined ? {} : { weight }),
        });
      }),
      // Spec planets ask the LLM only through the sun's per-cycle permit (no gateway of their own).
      ...config.planets.specs.map((spec) => () => planetFromSpec(spec)),
      ...extra,
    ].map((create) => (tuning === null ? create : () => tunedPlanet(create(), tuning))),
    'planet',
  );
}

/** Each input's place in a batch window: one window per bar time with at least two symbols. */
function batchMembers(
  inputs: readonly CycleInput[],
  gateway: LLMCaller | null,
  batching: BatchOptions | false,
): Map<CycleInput, BatchMember> {
  const byTime = new Map<number, CycleInput[]>();
  for (const input of inputs) {
    const t = input?.bar?.time;
    if (typeof t === 'number') byTime.set(t, [...(byTime.get(t) ?? []), input]);
  }
  const members = new Map<CycleInput, BatchMember>();
  if (gateway === null || batching === false) return members;
  for (const [time, group] of byTime) {
    if (group.length < 2) continue;
    const window = new BatchWindow(
      gateway,
      time,
      group.map((i) => i.symbol),
      batching,
    );
    for (const input of group) members.set(input, window.member(input.symbol));
  }
  return members;
}

/** The configured routing tree checked against the planets (the default one pruned to them), or null. */
function routingOf(config: SolarSystemConfig, planets: readonly string[]): Routing | null {
  if (config.routing === false) return null;
  if (config.routing !== undefined) return compileRouting(config.routing, planets);
  const pruned = pruneRouting(DEFAULT_ROUTING, planets);
  return pruned === null ? null : compileRouting(pruned, planets);
}

function named<F extends () => { name: string }>(factories: readonly F[], kind: string): Named<F>[] {
  const out: Named<F>[] = [];
  for (const create of factories) {
    const name = create().name;
    if (out.some((n) => n.name === name)) {
      throw new InvalidConfigError(`two ${kind}s are named '${name}'; names must be unique`, {
        issues: [{ path: kind, message: `duplicate name '${name}'` }],
      });
    }
    out.push({ name, create });
  }
  return out;
}
