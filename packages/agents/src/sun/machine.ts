import type { Bus, JsonRecord } from '@orrery/bus';
import { type Clock, ExecutionMode } from '@orrery/core';
import { EpisodeExistsError } from '@orrery/memory';
import { type ActorRefFrom, assign, enqueueActions, fromPromise, setup } from 'xstate';
import { type CallAllowance, createCallAllowance } from '../call-allowance.ts';
import type { SolarSystemConfig } from '../config.ts';
import type { CycleFault, CycleRecord } from '../cycle-record.ts';
import type { Decision } from '../decision.ts';
import { ReasoningFailedError, SupervisionEscalatedError } from '../errors.ts';
import type { LLMCaller } from '../llm-caller.ts';
import type { MoonFactory } from '../moons/moon.ts';
import { buildSnapshot, type MoonSnapshot } from '../moons/snapshot.ts';
import type { Planet } from '../planets/planet.ts';
import { clampDecision } from '../risk-clamp.ts';
import { type SupervisionVerdict, Supervisor } from '../supervision.ts';
import { type AnalyzeCommand, moonActor, type PlanetEvent, planetActor } from './actors.ts';
import { criticTrigger, runCritic } from './critic.ts';
import { buildRecord, type CycleInput, type CycleWork, lap, newWork } from './cycle-work.ts';
import { describeRecall, regimeOf, type SunMemory, situationOf } from './memory.ts';
import { type ReasoningResult, runSunReasoning } from './reasoning.ts';
import {
  assessAll,
  chooseMode,
  clampContext,
  consensusToDecision,
  errorCode,
  errorText,
  faultyReport,
  positionView,
  vote,
} from './stages.ts';

/** Where the sun broadcasts its decisions: the part of `@orrery/bus`'s `Bus` it uses. */
export type SunBus = Pick<Bus, 'broadcast'>;

/** A moon or planet factory with the name of what it builds. */
export interface Named<F> {
  name: string;
  create: F;
}

/** What every symbol's sun shares: configuration and services. */
export interface SunDeps {
  symbol: string;
  config: SolarSystemConfig;
  gateway: LLMCaller | null;
  memory: SunMemory | null;
  bus: SunBus | null;
  clock: Clock;
  moons: readonly Named<MoonFactory>[];
  planets: readonly Named<() => Planet>[];
  log: (msg: string) => void;
}

type MoonRef = ActorRefFrom<typeof moonActor>;
type PlanetRef = ActorRefFrom<typeof planetActor>;

interface MoonSlot {
  name: string;
  create: MoonFactory;
  ref: MoonRef | null;
  gen: number;
}

interface PlanetSlot {
  name: string;
  create: () => Planet;
  planet: Planet | null;
  ref: PlanetRef | null;
  gen: number;
}

interface SunContext {
  deps: SunDeps;
  supervisor: Supervisor;
  moons: MoonSlot[];
  planets: PlanetSlot[];
  /** The stop of the open position (price units), if any. */
  stopPrice: number | undefined;
  /** Bars seen by this sun, the current one included. */
  barsSeen: number;
  work: CycleWork | null;
  /** Faults raised between cycles, reported with the next one. */
  faults: CycleFault[];
  escalation: SupervisionEscalatedError | null;
}

type SunEvent =
  | { type: 'CYCLE'; id: number; input: CycleInput }
  | { type: 'ESCALATE'; error: SupervisionEscalatedError }
  | PlanetEvent
  | { type: 'PLANET.VERDICT'; planet: string; verdict: SupervisionVerdict; error: unknown }
  | { type: `xstate.error.actor.${string}`; error: unknown };

/** What a sun emits: each cycle's record, or why the cycle could not run. */
export type SunEmitted =
  | { type: 'cycle.done'; id: number; record: CycleRecord }
  | { type: 'cycle.failed'; id: number; error: Error };

const moonId = (name: string, gen: number) => `moon:${name}#${gen}`;
const planetId = (name: string, gen: number) => `planet:${name}#${gen}`;
const childName = (id: string) => id.replace(/#\d+$/, '');

type ReasonInput = { stage: 'sun' | 'backup-sun'; context: SunContext };

/**
 * The sun of one symbol: an XState machine whose children are the symbol's moons (one actor each) and
 * planets (one actor each), supervised with a restart policy. One `CYCLE` event runs one cycle:
 *
 * sensing → mode (`selectMode`) → MONITOR_ONLY: risk rules · LIGHT_REASONING: planets → consensus ·
 * FULL_AGENT: recall → planets → sun → (backup sun → consensus → monitor) → critic if warranted →
 * clamp → broadcast → `cycle.done` (emitted with the record).
 */
export const sunMachine = setup({
  types: {
    context: {} as SunContext,
    events: {} as SunEvent,
    input: {} as SunDeps,
    emitted: {} as SunEmitted,
  },
  actors: {
    moon: moonActor,
    planet: planetActor,
    sense: fromPromise<MoonSnapshot, { context: SunContext }>(async ({ input: { context } }) => {
      // Run outside the sun's own transition, so a moon's failure reaches the sun (and its
      // supervision) immediately rather than after this cycle.
      await Promise.resolve();
      const w = context.work as CycleWork;
      const { bar, portfolio, symbol } = w.input;
      const readings: Record<string, unknown> = {};
      const failed: string[] = [];
      const qty = portfolio.positions[symbol]?.qty ?? 0;
      for (const slot of context.moons) {
        if (slot.ref === null) {
          failed.push(slot.name);
          continue;
        }
        slot.ref.send({
          type: 'BAR',
          input: { bar, readings, positionQty: qty, stopPrice: qty === 0 ? undefined : context.stopPrice },
        });
        const snap = slot.ref.getSnapshot();
        if (snap.status === 'active') readings[slot.name] = snap.context.reading;
        else failed.push(slot.name);
      }
      return buildSnapshot(symbol, bar, context.barsSeen, readings, failed);
    }),
    recall: fromPromise<string[], { context: SunContext }>(async ({ input: { context } }) => {
      const { memory, config, symbol } = context.deps;
      const s = (context.work as CycleWork).snapshot as MoonSnapshot;
      if (memory === null || config.sun.recallK === 0) return [];
      return describeRecall(await memory.recall(situationOf(s), config.sun.recallK, { symbol }));
    }),
    reason: fromPromise<ReasoningResult, ReasonInput & { allowance: CallAllowance | null }>(
      async ({ input, signal }) => {
        const { context, stage, allowance } = input;
        const { config, gateway, memory, symbol } = context.deps;
        const task = stage === 'sun' ? config.sun.task : config.sun.backupTask;
        const w = context.work as CycleWork;
        const s = w.snapshot as MoonSnapshot;
        if (gateway === null || allowance === null) {
          throw new ReasoningFailedError(`${stage}: no gateway`, { stage });
        }
        const critical = s.criticalUpdates.length > 0;
        if (!gateway.canServe(task, { critical })) {
          throw new ReasoningFailedError(
            `${stage}: task '${task}' cannot be served now (cooling down or budget); no call made`,
            {
              stage,
            },
          );
        }
        return runSunReasoning({
          stage,
          task,
          allowance,
          snapshot: s,
          planets: Object.values(w.reports).sort((a, b) => a.planet.localeCompare(b.planet)),
          consensus: w.pre!,
          consensusDecision: w.consensusDecision!,
          current: w.pos!.current,
          risk: config.risk,
          modeReason: w.mode!.reason,
          recalled: w.recalled ?? [],
          patterns: memory === null ? null : () => memory.patterns({ symbol }).text,
          critical,
          signal,
          maxTokens: config.sun.maxTokens,
        });
      },
    ),
    critic: fromPromise<
      Awaited<ReturnType<typeof runCritic>>,
      { context: SunContext; allowance: CallAllowance }
    >(async ({ input: { context, allowance }, signal }) => {
      const w = context.work as CycleWork;
      const trigger = criticTrigger(w.decision!, w.pos!.current, w.fragility, context.deps.config.critic);
      const s = w.snapshot!;
      return runCritic({
        decision: w.decision!,
        current: w.pos!.current,
        trigger,
        allowance,
        task: context.deps.config.sun.criticTask,
        signal,
        context:
          `Symbol ${s.symbol} close ${s.bar.close}; regime ${regimeOf(s)}; fragility ${w.fragility.toFixed(2)}; ` +
          `critical: ${s.criticalUpdates.join('; ') || 'none'}.`,
      });
    }),
    publish: fromPromise<void, { context: SunContext }>(async ({ input: { context } }) => {
      const { bus, memory, symbol, log } = context.deps;
      const w = context.work as CycleWork;
      const r = w.record as CycleRecord;
      const reasoned = r.mode !== ExecutionMode.MONITOR_ONLY;
      if (bus !== null && !(r.decision.source === 'monitor' && r.decision.action === 'hold')) {
        try {
          bus.broadcast({ decision: decisionJson(r.decision), symbol, reason: r.modeReason.slice(0, 2000) });
        } catch (err) {
          log(`bus broadcast failed for ${symbol}: ${errorText(err)}`);
        }
      }
      if (memory !== null && reasoned) {
        const s = w.snapshot as MoonSnapshot;
        try {
          await memory.record({
            id: `${symbol}@${s.bar.time}`,
            time: s.bar.time,
            symbol,
            situation: situationOf(s),
            regime: regimeOf(s),
            mode: r.mode,
            decision: r.decision.action,
            confidence: Math.max(0, Math.min(1, r.decision.confidence)),
            rationale: r.decision.rationale.slice(0, 8000),
            horizonMs: context.deps.config.memory.horizonMs,
          });
        } catch (err) {
          // a replayed bar was remembered already: nothing to add
          if (!(err instanceof EpisodeExistsError))
            log(`memory record failed for ${symbol}: ${errorText(err)}`);
        }
      }
    }),
  },
  actions: {
    failCycle: enqueueActions(({ context, event, enqueue }) => {
      const error = (event as { error?: unknown }).error;
      if (context.work !== null) {
        enqueue.emit({
          type: 'cycle.failed',
          id: context.work.id,
          error: error instanceof Error ? error : new Error(String(error)),
        });
      }
      enqueue.assign({ work: null });
    }),
    decideMonitor: assign({
      work: ({ context }) => ({
        ...context.work!,
        decision: holdDecision(context.work!, context.work!.mode!.reason),
      }),
    }),
    lapPlanets: assign({ work: ({ context }) => ({ ...context.work!, ...lap(context.work!, 'planets') }) }),
    decideByConsensus: assign({
      work: ({ context }) => {
        const w = context.work!;
        const { config } = context.deps;
        const c = vote(Object.values(w.reports), config);
        const full = w.mode?.mode === ExecutionMode.FULL_AGENT;
        const decision = c.reached
          ? consensusToDecision(c, w.snapshot!, w.pos!, config)
          : holdDecision(w, `no planet quorum (${c.present} of ${c.quorum} needed): monitor only`);
        const fallback: CycleWork['fallback'] = c.reached ? (full ? 'consensus' : undefined) : 'monitor';
        return { ...w, decision, used: c, fallback };
      },
    }),
    sunDecided: assign({
      work: ({ context, event }) => {
        const w = context.work!;
        const out = (event as unknown as { output: ReasoningResult }).output;
        const stage = out.decision.source === 'backup-sun' ? 'backup-sun' : 'sun';
        return {
          ...w,
          ...lap(w, 'reasoning'),
          decision: out.decision,
          fallback: stage === 'backup-sun' ? ('backup-sun' as const) : undefined,
          reasoning: { stage, turns: out.turns, tools: out.tools, errors: w.reasoning?.errors ?? [] },
        };
      },
    }),
    sunFailed: assign({
      work: ({ context, event }) => {
        const w = context.work!;
        const error = (event as { error?: unknown }).error;
        const stage =
          error instanceof ReasoningFailedError && error.stage === 'backup-sun' ? 'backup-sun' : 'sun';
        const errors = [...(w.reasoning?.errors ?? []), errorText(error)];
        return { ...w, ...lap(w, 'reasoning'), reasoning: { stage, turns: 0, tools: [], errors } };
      },
    }),
    finishDecision: enqueueActions(({ context, enqueue }) => {
      const w = context.work!;
      const { config } = context.deps;
      const s = w.snapshot!;
      const pos = w.pos!;
      const proposed = w.decision ?? holdDecision(w, w.mode!.reason);
      const { decision, clamps } = clampDecision(proposed, clampContext(s, pos, config.risk));
      let final: Decision =
        decision.source === 'monitor' && clamps.length > 0 ? { ...decision, source: 'risk' } : decision;
      let stop = context.stopPrice;
      if (final.action !== 'hold') stop = final.targetFraction === 0 ? undefined : final.stopPrice;
      else if (pos.qty === 0) stop = undefined;
      else if (stop !== undefined && final.stopPrice === undefined) final = { ...final, stopPrice: stop };
      if (w.mode!.mode !== ExecutionMode.MONITOR_ONLY) {
        for (const m of context.moons) if (m.ref !== null) enqueue.sendTo(m.ref, { type: 'ANCHOR' });
      }
      const timed = { ...w, ...lap(w, 'decide') };
      enqueue.assign({ stopPrice: stop, work: { ...timed, record: buildRecord(timed, final, clamps) } });
    }),
    emitRecord: enqueueActions(({ context, enqueue }) => {
      const w = context.work!;
      const record = { ...w.record!, stagesMs: lap(w, 'broadcast').stagesMs };
      enqueue.emit({ type: 'cycle.done', id: w.id, record });
      enqueue.assign({ work: null });
    }),
    planetFailed: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Extract<PlanetEvent, { type: 'PLANET.FAILED' }>;
      const w = context.work;
      if (e.cycleId !== -1 && (w === null || e.cycleId !== w.id)) return; // a late failure of an earlier cycle
      const slot = context.planets.find((p) => p.name === e.planet);
      if (slot === undefined || slot.ref === null) return;
      const child = `planet:${e.planet}`;
      const verdict = context.supervisor.failed(child);
      const fault: CycleFault = { child, error: errorText(e.error), verdict, ...codeOf(e.error) };
      enqueue.assign(({ context: c }) => {
        const cw = c.work;
        if (cw === null || !cw.pending.includes(e.planet)) return addFault(c, fault);
        const status = e.timedOut ? ('timeout' as const) : ('failed' as const);
        return {
          work: {
            ...cw,
            faults: [...cw.faults, fault],
            reports: {
              ...cw.reports,
              [e.planet]: faultyReport(e.planet, slot.planet?.weight ?? 0, status, fault.error),
            },
            pending: cw.pending.filter((p) => p !== e.planet),
          },
        };
      });
      enqueue.raise({ type: 'PLANET.VERDICT', planet: e.planet, verdict, error: e.error });
    }),
    applyVerdict: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Extract<SunEvent, { type: 'PLANET.VERDICT' }>;
      const slot = context.planets.find((p) => p.name === e.planet);
      if (slot === undefined || slot.ref === null) return;
      enqueue.stopChild(slot.ref);
      enqueue.assign(({ context: c, spawn }) => ({
        planets: c.planets.map((p) => {
          if (p.name !== e.planet) return p;
          if (e.verdict !== 'restart') return { ...p, ref: null, planet: null };
          const gen = p.gen + 1;
          let planet: Planet;
          try {
            planet = p.create();
          } catch {
            return { ...p, gen, ref: null, planet: null };
          }
          return {
            ...p,
            gen,
            planet,
            ref: spawn('planet', { id: planetId(p.name, gen), input: { planet } }),
          };
        }),
      }));
      if (e.verdict === 'escalate') {
        const error = new SupervisionEscalatedError(`planet:${e.planet}`, { cause: e.error });
        enqueue.raise({ type: 'ESCALATE', error });
      }
    }),
  },
  delays: {
    planetDeadline: ({ context }) => context.deps.config.planetTimeoutMs + 1_000,
  },
  guards: {
    isMonitor: ({ context }) => context.work?.mode?.mode === ExecutionMode.MONITOR_ONLY,
    isFull: ({ context }) => context.work?.mode?.mode === ExecutionMode.FULL_AGENT,
    allReportedFull: ({ context }) =>
      context.work?.pending.length === 0 && context.work.mode?.mode === ExecutionMode.FULL_AGENT,
    allReported: ({ context }) => context.work?.pending.length === 0,
    /** Something to publish: a decision other than a monitor hold with a bus, or a reasoned one with a memory. */
    hasAudience: ({ context }) => {
      const r = context.work?.record;
      if (r === undefined || r === null) return false;
      const { bus, memory } = context.deps;
      const broadcast = bus !== null && !(r.decision.source === 'monitor' && r.decision.action === 'hold');
      return broadcast || (memory !== null && r.mode !== ExecutionMode.MONITOR_ONLY);
    },
    criticWarranted: ({ context }) => {
      const w = context.work;
      if (w === null || w.decision === null || w.pos === null || context.deps.gateway === null) return false;
      return criticTrigger(w.decision, w.pos.current, w.fragility, context.deps.config.critic).length > 0;
    },
  },
}).createMachine({
  id: 'sun',
  context: ({ input, spawn }) => ({
    deps: input,
    supervisor: new Supervisor(input.config.supervision, input.clock),
    moons: input.moons.map((m) => ({
      name: m.name,
      create: m.create,
      gen: 0,
      ref: spawn('moon', { id: moonId(m.name, 0), input: { create: m.create } }),
    })),
    planets: input.planets.map((p) => {
      const planet = p.create();
      return {
        name: p.name,
        create: p.create,
        gen: 0,
        planet,
        ref: spawn('planet', { id: planetId(p.name, 0), input: { planet } }),
      };
    }),
    stopPrice: undefined,
    barsSeen: 0,
    work: null,
    faults: [],
    escalation: null,
  }),
  initial: 'idle',
  on: {
    'xstate.error.actor.*': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const id = event.type.slice('xstate.error.actor.'.length);
        const child = childName(id);
        const [kind, name] = child.split(':') as ['moon' | 'planet', string];
        const error = (event as { error: unknown }).error;
        const verdict = context.supervisor.failed(child);
        const fault: CycleFault = { child, error: errorText(error), verdict, ...codeOf(error) };
        if (kind === 'moon') {
          const slot = context.moons.find((m) => m.name === name && m.ref?.id === id);
          if (slot?.ref) enqueue.stopChild(slot.ref);
          enqueue.assign(({ context: c, spawn }) => ({
            moons: c.moons.map((m) => {
              if (m.name !== name || m.ref?.id !== id) return m;
              if (verdict !== 'restart') return { ...m, ref: null };
              const gen = m.gen + 1;
              return {
                ...m,
                gen,
                ref: spawn('moon', { id: moonId(name, gen), input: { create: m.create } }),
              };
            }),
          }));
        } else {
          enqueue.raise({ type: 'PLANET.FAILED', cycleId: -1, planet: name, error, timedOut: false });
        }
        if (kind === 'moon') enqueue.assign(({ context: c }) => addFault(c, fault));
        if (verdict === 'escalate')
          enqueue.raise({ type: 'ESCALATE', error: new SupervisionEscalatedError(child, { cause: error }) });
      }),
    },
    'PLANET.FAILED': { actions: 'planetFailed' },
    'PLANET.VERDICT': { actions: 'applyVerdict' },
    ESCALATE: { target: '.escalated', actions: assign({ escalation: ({ event }) => event.error }) },
  },
  states: {
    idle: {
      on: {
        CYCLE: {
          target: 'sensing',
          actions: assign(({ context, event }) => ({
            work: newWork(event.id, event.input, context.faults),
            faults: [],
            barsSeen: context.barsSeen + 1,
          })),
        },
      },
    },
    sensing: {
      invoke: {
        src: 'sense',
        input: ({ context }) => ({ context }),
        onDone: {
          target: 'routing',
          actions: enqueueActions(({ context, event, enqueue }) => {
            const w = context.work as CycleWork;
            const { config, gateway } = context.deps;
            const snapshot = event.output;
            const pos = positionView(w.input.portfolio, w.input.symbol, snapshot.bar.close);
            const { reports, failures } = assessAll(
              context.planets,
              snapshot,
              w.input.news,
              w.input.portfolio,
            );
            const pre = vote(reports, config);
            const preDecision = consensusToDecision(pre, snapshot, pos, config);
            const consensusDecision = clampDecision(
              preDecision,
              clampContext(snapshot, pos, config.risk),
            ).decision;
            const { mode, fragility } = chooseMode(snapshot, pos, pre, preDecision, gateway, config);
            const faults = [...w.faults];
            for (const f of failures) {
              const child = `planet:${f.planet}`;
              const verdict = context.supervisor.failed(child);
              faults.push({ child, error: errorText(f.error), verdict, ...codeOf(f.error) });
              enqueue.raise({ type: 'PLANET.VERDICT', planet: f.planet, verdict, error: f.error });
            }
            enqueue.assign({
              work: {
                ...w,
                ...lap(w, 'sense'),
                snapshot,
                pos,
                preReports: reports,
                pre,
                consensusDecision,
                mode,
                fragility,
                faults,
              },
            });
          }),
        },
        onError: { target: 'idle', actions: 'failCycle' },
      },
    },
    routing: {
      always: [
        { guard: 'isMonitor', target: 'deciding', actions: 'decideMonitor' },
        { guard: 'isFull', target: 'recalling' },
        { target: 'consulting' },
      ],
    },
    recalling: {
      invoke: {
        src: 'recall',
        input: ({ context }) => ({ context }),
        onDone: {
          target: 'consulting',
          actions: assign({
            work: ({ context, event }) => ({
              ...context.work!,
              ...lap(context.work!, 'recall'),
              recalled: event.output,
            }),
          }),
        },
        onError: {
          target: 'consulting',
          actions: enqueueActions(({ context, event, enqueue }) => {
            context.deps.log(`memory recall failed for ${context.deps.symbol}: ${errorText(event.error)}`);
            enqueue.assign({ work: { ...context.work!, ...lap(context.work!, 'recall'), recalled: [] } });
          }),
        },
      },
    },
    consulting: {
      entry: enqueueActions(({ context, enqueue }) => {
        const w = context.work as CycleWork;
        const { gateway, config } = context.deps;
        const reports = { ...w.reports };
        const pending: string[] = [];
        const allowances = [...w.allowances];
        for (const slot of context.planets) {
          if (slot.ref === null || slot.planet === null) {
            reports[slot.name] = faultyReport(slot.name, 0, 'stopped', 'stopped by supervision');
            continue;
          }
          const pre = w.preReports.find((r) => r.planet === slot.name);
          if (pre !== undefined && pre.status !== 'ok') {
            reports[slot.name] = pre; // already failed this cycle (and supervised) in the deterministic pass
            continue;
          }
          const allowance =
            gateway === null ? undefined : createCallAllowance(gateway, `planet:${slot.name}`, 1);
          if (allowance !== undefined) allowances.push(allowance);
          pending.push(slot.name);
          const cmd: AnalyzeCommand = {
            type: 'ANALYZE',
            cycleId: w.id,
            snapshot: w.snapshot!,
            mode: w.mode!.mode,
            allowance,
            news: w.input.news,
            portfolio: w.input.portfolio,
            timeoutMs: config.planetTimeoutMs,
          };
          enqueue.sendTo(slot.ref, cmd);
        }
        enqueue.assign({ work: { ...w, reports, pending, allowances } });
      }),
      on: {
        'PLANET.REPORT': {
          actions: assign(({ context, event }) => {
            const w = context.work!;
            if (event.cycleId !== w.id || !w.pending.includes(event.planet)) return {};
            return {
              work: {
                ...w,
                reports: { ...w.reports, [event.planet]: event.report },
                pending: w.pending.filter((p) => p !== event.planet),
              },
            };
          }),
        },
      },
      after: {
        planetDeadline: {
          actions: assign(({ context }) => {
            const w = context.work!;
            const reports = { ...w.reports };
            for (const p of w.pending)
              reports[p] = faultyReport(p, 0, 'timeout', 'no report before the deadline');
            return { work: { ...w, reports, pending: [] } };
          }),
        },
      },
      always: [
        { guard: 'allReportedFull', target: 'reasoning', actions: 'lapPlanets' },
        { guard: 'allReported', target: 'deciding', actions: ['lapPlanets', 'decideByConsensus'] },
      ],
    },
    reasoning: {
      entry: assign({ work: ({ context }) => withPermit(context, 'sun') }),
      invoke: {
        src: 'reason',
        input: ({ context }) => ({ context, stage: 'sun' as const, allowance: context.work!.permit }),
        onDone: { target: 'criticCheck', actions: 'sunDecided' },
        onError: { target: 'backupReasoning', actions: 'sunFailed' },
      },
    },
    backupReasoning: {
      entry: assign({ work: ({ context }) => withPermit(context, 'backup-sun') }),
      invoke: {
        src: 'reason',
        input: ({ context }) => ({ context, stage: 'backup-sun' as const, allowance: context.work!.permit }),
        onDone: { target: 'criticCheck', actions: 'sunDecided' },
        onError: { target: 'deciding', actions: ['sunFailed', 'decideByConsensus'] },
      },
    },
    criticCheck: {
      always: [{ guard: 'criticWarranted', target: 'critiquing' }, { target: 'deciding' }],
    },
    critiquing: {
      entry: assign({ work: ({ context }) => withPermit(context, 'critic') }),
      invoke: {
        src: 'critic',
        input: ({ context }) => ({ context, allowance: context.work!.permit! }),
        onDone: {
          target: 'deciding',
          actions: assign({
            work: ({ context, event }) => ({
              ...context.work!,
              ...lap(context.work!, 'critic'),
              decision: event.output.decision,
              critic: event.output.record,
            }),
          }),
        },
        onError: { target: 'deciding' },
      },
    },
    deciding: {
      entry: 'finishDecision',
      always: [
        { guard: 'hasAudience', target: 'broadcasting' },
        { target: 'idle', actions: 'emitRecord' },
      ],
    },
    broadcasting: {
      invoke: {
        src: 'publish',
        input: ({ context }) => ({ context }),
        onDone: { target: 'idle', actions: 'emitRecord' },
        onError: { target: 'idle', actions: 'emitRecord' },
      },
    },
    escalated: {
      entry: enqueueActions(({ context, enqueue }) => {
        if (context.work !== null) {
          enqueue.emit({ type: 'cycle.failed', id: context.work.id, error: context.escalation! });
        }
        enqueue.assign({ work: null });
      }),
      on: {
        CYCLE: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            enqueue.emit({ type: 'cycle.failed', id: event.id, error: context.escalation! });
          }),
        },
      },
    },
  },
});

/** The scratch state with a fresh LLM permit for `who` (also counted in the cycle's usage). */
function withPermit(context: SunContext, who: 'sun' | 'backup-sun' | 'critic'): CycleWork {
  const w = context.work!;
  const { gateway, config } = context.deps;
  if (gateway === null) return { ...w, permit: null };
  const permit = createCallAllowance(gateway, who, who === 'critic' ? 1 : config.sun.maxTurns);
  return { ...w, permit, allowances: [...w.allowances, permit] };
}

/** A hold at the current position (source `monitor`): the decision of a cycle that does not reason. */
function holdDecision(w: CycleWork, why: string): Decision {
  return {
    symbol: w.input.symbol,
    action: 'hold',
    targetFraction: w.pos!.current,
    confidence: 1,
    rationale: why,
    source: 'monitor',
  };
}

function codeOf(error: unknown): { code?: string } {
  const code = errorCode(error);
  return code === undefined ? {} : { code };
}

function addFault(c: SunContext, fault: CycleFault): Partial<SunContext> {
  return c.work === null
    ? { faults: [...c.faults, fault] }
    : { work: { ...c.work, faults: [...c.work.faults, fault] } };
}

/** A decision as the JSON record a `broadcast.decree` carries. */
function decisionJson(d: Decision): JsonRecord {
  const out: JsonRecord = {
    symbol: d.symbol,
    action: d.action,
    targetFraction: d.targetFraction,
    confidence: d.confidence,
    rationale: d.rationale,
    source: d.source,
  };
  if (d.stopPrice !== undefined) out.stopPrice = d.stopPrice;
  return out;
}
