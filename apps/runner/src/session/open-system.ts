import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type AnswerCacheStats,
  type CycleRecord,
  createSolarSystem,
  type SolarSystemConfig,
  type SunMemory,
} from '@orrery/agents';
import type { StoredCycle } from '@orrery/broker';
import { LocalBus } from '@orrery/bus';
import { systemClock } from '@orrery/core';
import { EpisodicMemory, type MemoryLogger, type MemoryStats } from '@orrery/memory';
import type Database from 'better-sqlite3';
import {
  type LearningSession,
  learningSettingsOf,
  openLearning,
} from '../accountability/learning-session.ts';
import { type LlmSession, openLlmSession } from '../accountability/llm-session.ts';
import type { AuditRecorder } from '../audit/llm-recorder.ts';
import { Redactor } from '../audit/redact.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { CycleInput, Strategy } from '../loop/strategy.ts';
import type { LogSink } from './log-sink.ts';
import { OutcomeWriter } from './outcome-writer.ts';
import { openPlanetTransport, type PlanetTransport } from './planet-transport.ts';
import type { RunTimer } from './run-timer.ts';
import { SupervisionClock } from './supervision-clock.ts';
import { WarmUp } from './warm-up.ts';

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
  /**
   * Lines for the run's summary when the similarity index was down (periods, restarts, unindexed), once
   * the episodes queued for the index have been offered to it.
   */
  memoryNotes(): Promise<string[]>;
  /** Episodic memory's counters now (index state, degraded periods, episodes indexed); null without memory. */
  memoryStats(): MemoryStats | null;
  /** The run's bus in one line: messages published and delivered, consults sent, answered, timed out. */
  busNote(): string;
}

/**
 * Assembles the sun, planets and moons (`createSolarSystem`) with the LLM gateway (when any provider is
 * reachable), episodic memory with its embedded Chroma (unless `memory: false`) and an in-process bus.
 * Market time (the bars) drives the agents' outcomes and learning; supervision's restart windows run on
 * `supervision` (the wall clock, read when a child fails, at most once per step, and recorded so
 * replays and warm-ups repeat it), and
 * so do the gateway's budget and cooldowns, because that is when money is spent.
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
  /** The clock of supervision's restart windows (default: the wall clock, unrecorded). */
  readonly supervision?: SupervisionClock | undefined;
  /** Charges the learning loop's refreshes to `learning`. */
  readonly timer?: RunTimer | undefined;
  /** The run ledger's connection: the learning file is attached to it (one transaction per step). */
  readonly ledgerDb?: Database.Database | undefined;
}): Promise<SystemSession> {
  const { config, gateway: gatewayConfig } = opts.loaded;
  // Secrets (configured keys, anything shaped like one) never reach a cycle record, an episode or an LLM
  // recording, even when a model echoes one in its answer.
  const redact = opts.audit?.redactor ?? Redactor.from({}, gatewayConfig);
  const llm = await openLlmSession({
    gatewayConfig,
    dbPath: config.run.gatewayDbPath,
    runId: opts.runId,
    replayOf: opts.replayOf,
    resumeAfter: opts.resumeAfter,
    redact: (text) => redact.text(text),
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
        timer: opts.timer,
        ledgerDb: opts.ledgerDb,
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
  // One call path: the audit outermost (what the agents were told), then the warm-up (a resumed run's
  // past bars: recorded answers, no call), then whatever the session put on the gateway (recording).
  const warmUp = gateway === null ? null : new WarmUp(llm.warmAnswers);
  if (gateway !== null && warmUp !== null) {
    gateway.use(
      ...(opts.audit === undefined ? [] : [opts.audit.middleware({ skip: () => warmUp.replaying })]),
      warmUp,
    );
  }
  const supervision = opts.supervision ?? SupervisionClock.unrecorded();
  // The medium of the run's agents: consults, the moons' readings and decisions travel on it.
  const bus = new LocalBus();
  // Without a gateway the runner says why itself (noLlmReason); the agents' own notice would repeat it.
  opts.log.muted = gateway === null;
  // Warm-up after a resume re-runs bars the ledger already holds: it must not write memory episodes
  // (a bar recorded as MONITOR_ONLY may reason on the second pass; issue 18's "ghost" episodes).
  let warming = false;
  const sunMemory: SunMemory | null =
    memory === null
      ? null
      : {
          recall: (...a) => memory!.recall(...a),
          patterns: (...a) => memory!.patterns(...a),
          // An episode's rationale is the model's text: a key it echoed is not kept.
          record: (e) => (warming ? Promise.resolve(undefined as never) : memory!.record(redact.value(e))),
        };
  const system = createSolarSystem({
    config: transport.agents,
    planets: transport.planets,
    gateway,
    memory: sunMemory,
    bus,
    clock: supervision.clock,
    log: opts.log,
    tuning: learning?.tuning ?? null,
    // the run's own answer cache keys: a resumed run finds the answers it cached before the stop
    cacheScope: opts.runId,
  });
  opts.log.muted = false;
  const plain: Strategy<CycleRecord> = {
    cycle: async (input) => {
      supervision.step(input.bar.time);
      return redact.value(await system.cycle(agentsInput(input)));
    },
    // Symbols on one bar time are decided together: their planets' LLM calls are batched.
    cycleMany: async (inputs) => {
      for (const input of inputs) supervision.step(input.bar.time);
      return redact.value(await system.cycleMany(inputs.map(agentsInput)));
    },
    // Between bar closes (`run.intrabar`): a peek at the forming bar, an unscheduled cycle if critical.
    wake: async (input) => {
      supervision.step(input.asOf);
      const record = await system.wake({ ...agentsInput(input), asOf: input.asOf });
      return record === null ? null : redact.value(record);
    },
    warm: async (input) => {
      supervision.step(input.bar.time, true);
      if (warmUp) warmUp.replaying = true;
      opts.log.muted = true;
      warming = true;
      try {
        await system.cycle(agentsInput(input));
      } finally {
        warming = false;
        if (warmUp) warmUp.replaying = false;
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
    memoryNotes: async () => {
      if (memory === null) return [];
      await memory.flush();
      return memoryNotes(memory);
    },
    memoryStats: () => memory?.stats() ?? null,
    busNote: () => {
      const m = bus.metrics();
      const r = m.requests;
      return (
        `bus: ${m.published} messages published, ${m.delivered} delivered; consults: ${r.sent} sent, ` +
        `${r.answered} answered, ${r.timedOut} timed out, ${r.failed} failed`
      );
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

function memoryNotes(memory: EpisodicMemory): string[] {
  const s = memory.stats();
  if (s.degradedPeriods.length === 0 && s.index !== 'down') return [];
  const mins = Math.round(s.degradedMs / 60_000);
  return [
    `memory: similarity index down ${s.degradedPeriods.length} time(s), ${mins} min in all` +
      `${s.restarts > 0 ? `, Chroma restarted ${s.restarts} time(s)` : ''}; ` +
      `${s.episodes - s.indexed} of ${s.episodes} episodes not indexed${s.index === 'down' ? ' (still down)' : ''}`,
  ];
}

function memoryLogger(log: LogSink): MemoryLogger {
  return { warn: (msg) => log(`memory: ${msg}`) };
}
