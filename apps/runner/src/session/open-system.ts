import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type AnswerCacheStats,
  type CycleRecord,
  createSolarSystem,
  type SolarSystemConfig,
  type SunBus,
} from '@orrery/agents';
import { type BroadcastDecree, LocalBus } from '@orrery/bus';
import { ManualClock, systemClock } from '@orrery/core';
import { EpisodicMemory, type MemoryLogger } from '@orrery/memory';
import {
  type LearningSession,
  learningSettingsOf,
  openLearning,
} from '../accountability/learning-session.ts';
import { type LlmSession, openLlmSession } from '../accountability/llm-session.ts';
import type { AuditRecorder } from '../audit/llm-recorder.ts';
import type { StoredCycle } from '../broker/ledger-db.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { CycleInput, Strategy } from '../loop/strategy.ts';
import type { LogSink } from './log-sink.ts';
import { OutcomeWriter } from './outcome-writer.ts';
import { openPlanetTransport, type PlanetTransport } from './planet-transport.ts';
import { ReplayAwareCaller } from './replay-caller.ts';

/** The whole hierarchy, assembled for a run, and what has to be closed after it. */
export interface SystemSession {
  /** The solar system as the loop's strategy (`warm` replays without spending). */
  readonly strategy: Strategy<CycleRecord>;
  /** Why no LLM will be called, when none is reachable (said once at the start). */
  readonly noLlmReason: string | undefined;
  /** Writes outcomes back to memory; null without memory. */
  readonly outcomes: OutcomeWriter | null;
  /** The run's LLM side: recording (checkpoint it per committed step) or replaying another run. */
  readonly llm: LlmSession;
  /** Answers the gateway served from its cache since `sinceMs` (0 without a gateway). */
  cacheHits(sinceMs: number): number;
  /** The agents' answer caches this session, by agent (hits, misses by reason, calls and USD saved). */
  cacheStats(): Record<string, AnswerCacheStats>;
  /** Stops the agents, closes memory (and its Chroma server) and the gateway. */
  close(): Promise<void>;
}

/**
 * Assembles the sun, planets and moons (`createSolarSystem`) with the LLM gateway (when any provider is
 * reachable), episodic memory with its embedded Chroma (unless `memory: false`) and an in-process bus.
 * The agents run on a clock that follows the bars (market time); the gateway's budget and cooldowns run
 * on the wall clock, because that is when money is spent.
 *
 * @throws LLMConfigError, MemoryError (Chroma would not start), AgentsError (bad agents config).
 */
export async function openSystem(opts: {
  readonly loaded: LoadedConfig;
  readonly agents: SolarSystemConfig;
  readonly log: LogSink;
  /** The run's id: its LLM answers are recorded under it. */
  readonly runId: string;
  /** Answer only from this run's recordings (`orrery paper --replay`). */
  readonly replayOf?: string | undefined;
  /** The last committed step of a resumed run. */
  readonly resumeAfter?: number | undefined;
  /** A resumed run's cycles so far (its warm-up re-observes them for the learning loop). */
  readonly stored?: readonly StoredCycle[] | undefined;
  /** Records every LLM request the agents make and its answer, for the run's audit trail. */
  readonly audit?: AuditRecorder | undefined;
}): Promise<SystemSession> {
  const { config, gateway: gatewayConfig } = opts.loaded;
  const llm = await openLlmSession({
    gatewayConfig,
    dbPath: config.run.gatewayDbPath,
    runId: opts.runId,
    replayOf: opts.replayOf,
    resumeAfter: opts.resumeAfter,
  });
  const gateway = llm.gateway;
  let memory: EpisodicMemory | null = null;
  let learning: LearningSession | null = null;
  try {
    memory =
      config.memory === false
        ? null
        : await EpisodicMemory.open({ ...config.memory, clock: systemClock, logger: memoryLogger(opts.log) });
    if (config.learning !== false) {
      mkdirSync(dirname(config.learning.dbPath), { recursive: true });
      learning = openLearning({
        path: config.learning.dbPath,
        scope: opts.runId,
        agents: opts.agents,
        settings: learningSettingsOf(config.learning) || {},
        prompts: config.learning.prompts,
        promptTest: config.learning.promptTest,
        fresh: opts.resumeAfter === undefined,
      });
    }
  } catch (err) {
    await memory?.close();
    await llm.close();
    throw err;
  }
  let transport: PlanetTransport;
  try {
    transport = await openPlanetTransport(opts.agents);
  } catch (err) {
    await memory?.close();
    learning?.close();
    await llm.close();
    throw err;
  }
  if (transport.note !== null) opts.log(transport.note);
  const caller = gateway === null ? null : new ReplayAwareCaller(gateway, llm.warmAnswers);
  const clock = new ManualClock(0);
  const bus = new LocalBus();
  // The agents' SunBus types the decree as Record<string, unknown>; the bus wants JSON. A decision is JSON.
  const sunBus = {
    broadcast: (p: Parameters<SunBus['broadcast']>[0]) => bus.broadcast(p as BroadcastDecree['payload']),
  };
  // Without a gateway the runner says why itself (noLlmReason); the agents' own notice would repeat it.
  opts.log.muted = caller === null;
  const audited =
    caller === null || opts.audit === undefined
      ? caller
      : opts.audit.wrap(caller, { skip: () => caller.replaying });
  const system = createSolarSystem({
    config: transport.agents,
    planets: transport.planets,
    gateway: audited,
    memory,
    bus: sunBus,
    clock,
    log: opts.log,
    tuning: learning?.tuning ?? null,
    // the run's own answer cache keys: a resumed run finds the answers it cached before the stop
    cacheScope: opts.runId,
  });
  opts.log.muted = false;
  const at = (time: number) => {
    if (time > clock.now()) clock.set(time);
  };

  const plain: Strategy<CycleRecord> = {
    cycle: (input) => {
      at(input.bar.time);
      return system.cycle(agentsInput(input));
    },
    // Symbols on one bar time are decided together: their planets' LLM calls are batched.
    cycleMany: (inputs) => {
      for (const input of inputs) at(input.bar.time);
      return system.cycleMany(inputs.map(agentsInput));
    },
    warm: async (input) => {
      at(input.bar.time);
      if (caller) caller.replaying = true;
      opts.log.muted = true;
      try {
        await system.cycle(agentsInput(input));
      } finally {
        if (caller) caller.replaying = false;
        opts.log.muted = false;
      }
    },
    stop: () => system.stop(),
  };
  const strategy = learning === null ? plain : learning.wrap(plain, opts.stored);

  return {
    strategy,
    noLlmReason: llm.noLlmReason,
    llm,
    outcomes: memory === null ? null : new OutcomeWriter(memory),
    cacheStats: () => system.cacheStats(),
    cacheHits: (sinceMs) => {
      if (gateway === null) return 0;
      const days = Math.max(1e-6, (systemClock.now() - sinceMs) / 86_400_000);
      return gateway.ledger.summary({ days }).cacheHits;
    },
    close: async () => {
      await system.stop();
      await bus.close();
      await transport.close();
      await memory?.close();
      learning?.close();
      await llm.close();
    },
  };
}

/** The agents' cycle input: the loop's, news included only when the bar has any. */
function agentsInput(input: CycleInput) {
  const { symbol, bar, portfolio, news } = input;
  return news === undefined ? { symbol, bar, portfolio } : { symbol, bar, portfolio, news };
}

function memoryLogger(log: LogSink): MemoryLogger {
  return { warn: (msg) => log(`memory: ${msg}`) };
}
