import { ExecutionMode } from '@orrery/core';
import { assign, enqueueActions, setup } from 'xstate';
import { createCallAllowance } from '../call-allowance.ts';
import type { CycleFault } from '../cycle-record.ts';
import { SupervisionEscalatedError } from '../errors.ts';
import type { Planet } from '../planets/planet.ts';
import { routingQuery } from '../routing.ts';
import { EdgeCalibrator } from '../sizing.ts';
import { Supervisor } from '../supervision.ts';
import { type AnalyzeCommand, type PlanetActorInput, type PlanetEvent, planetActor } from './actors.ts';
import {
  childName,
  planetId,
  type SunContext,
  type SunDeps,
  type SunEmitted,
  type SunEvent,
} from './context.ts';
import { criticTrigger } from './critic.ts';
import { closedRecord, finishCycle, ownWork } from './cycle-steps.ts';
import { type CycleWork, lap } from './cycle-work.ts';
import {
  addFault,
  codeOf,
  consensusOutcome,
  failPending,
  sunFailure,
  sunOutcome,
  withPermit,
} from './decide.ts';
import { llmRouteActor } from './llm-router.ts';
import type { ReasoningResult } from './reasoning.ts';
import { superviseMoon } from './sense.ts';
import { type CycleEvent, senseCycle } from './sense-cycle.ts';
import { broadcastDecision, criticActor, publishActor, reasonActor, recallActor } from './stage-actors.ts';
import { errorText, faultyReport } from './stages.ts';
import { type WakeStep, wakeStep } from './wake.ts';

export type { Named, SunDeps, SunEmitted } from './context.ts';

/** How a planet actor of this sun reaches its planet's host. */
const planetInput = (deps: SunDeps, planet: Planet): PlanetActorInput => ({
  planet,
  symbol: deps.symbol,
  bus: deps.bus,
  desk: deps.desk,
});

/**
 * The sun of one symbol: an XState machine whose children are the symbol's planets (one actor each);
 * its moons are plain calculators it feeds itself. Both are supervised with a restart policy. One
 * `CYCLE` event runs one cycle:
 *
 * sensing → deterministic pass → mode (`selectMode`), in the CYCLE transition → MONITOR_ONLY: decided,
 * clamped, broadcast and recorded in that same transition (no state entered) · LIGHT_REASONING:
 * routing → planets → consensus · FULL_AGENT: routing → recall → planets → sun → (backup sun →
 * consensus → monitor) → critic if warranted → clamp → broadcast → `cycle.done` (emitted with the record).
 */
export const sunMachine = setup({
  types: {
    context: {} as SunContext,
    events: {} as SunEvent,
    input: {} as SunDeps,
    emitted: {} as SunEmitted,
  },
  actors: {
    planet: planetActor,
    recall: recallActor,
    reason: reasonActor,
    critic: criticActor,
    publish: publishActor,
    llmRoute: llmRouteActor,
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
    lapPlanets: assign({ work: ({ context }) => ({ ...context.work!, ...lap(context.work!, 'planets') }) }),
    decideByConsensus: assign(({ context }) => {
      const work = consensusOutcome(context);
      // A FULL_AGENT cycle that fell back to the planets drops the sun's tilt.
      return context.work?.mode?.mode === ExecutionMode.FULL_AGENT ? { work, tilt: 0 } : { work };
    }),
    sunDecided: assign(({ context, event }) => {
      const out = (event as unknown as { output: ReasoningResult }).output;
      const planets = context.work?.pre?.reached ? context.work.pre.signal : 0;
      return { work: sunOutcome(context, out), tilt: out.forecast - planets };
    }),
    sunFailed: assign({
      work: ({ context, event }) => sunFailure(context.work!, (event as { error?: unknown }).error),
    }),
    finishDecision: enqueueActions(({ context, enqueue }) => {
      const w = context.work!;
      // A reasoned decision moves the material-change anchor (a moon that throws doing so is supervised);
      // an unscheduled cycle leaves the moons as they were at the last close.
      if (w.mode!.mode !== ExecutionMode.MONITOR_ONLY && w.wokenBy == null) {
        for (const m of context.moons) {
          try {
            m.moon?.anchor?.();
          } catch (error) {
            enqueue.raise({ type: 'MOON.FAILED', moon: m.name, gen: m.gen, error });
          }
        }
      }
      const work = ownWork(w);
      const stopPrice = finishCycle(context, work);
      enqueue.assign({ work, stopPrice });
    }),
    emitRecord: enqueueActions(({ context, enqueue }) => {
      const w = context.work!;
      enqueue.emit({ type: 'cycle.done', id: w.id, record: closedRecord(w) });
      enqueue.assign({ work: null });
    }),
    // One CYCLE (see `senseCycle`): the moons sensed and the deterministic pass run in this transition. A
    // MONITOR_ONLY cycle (no LLM) is decided, clamped, broadcast and recorded here too: no state is
    // entered. The other modes go on to `routing` (SENSED, raised before the pass's verdicts so those
    // apply after the consults are sent, as a failed planet keeps its failed report). `CYCLE.SENSED`
    // brings a cycle the solar system sensed itself on the idle sun (see `cycleDirect`): applied alike.
    sense: enqueueActions(({ context, event, enqueue }) => {
      const s =
        event.type === 'CYCLE.SENSED'
          ? (event as Extract<SunEvent, { type: 'CYCLE.SENSED' }>).sensed
          : senseCycle(context, event as CycleEvent);
      switch (s.kind) {
        case 'failed':
          enqueue.emit({ type: 'cycle.failed', id: s.id, error: s.error });
          enqueue.assign({ faults: [], barsSeen: s.barsSeen, work: null });
          return;
        case 'escalated':
          enqueue.assign({ ...s.base, work: s.work });
          enqueue.raise({ type: 'ESCALATE', error: s.error });
          return;
        case 'decided':
          enqueue.emit({ type: 'cycle.done', id: s.id, record: s.record });
          enqueue.assign({ ...s.base, stopPrice: s.stopPrice, work: null });
          break;
        default:
          enqueue.assign({ ...s.base, work: s.work });
          enqueue.raise({ type: 'SENSED' });
      }
      for (const f of s.failures) {
        enqueue.raise({ type: 'PLANET.VERDICT', planet: f.planet, verdict: f.verdict, error: f.error });
      }
    }),
    // An unscheduled cycle between bar closes (see `wakeStep`): quiet, decided here, or on to `routing`.
    wake: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Extract<SunEvent, { type: 'WAKE' }>;
      let out: WakeStep;
      try {
        out = wakeStep(context, e.id, e.input, e.asOf);
      } catch (error) {
        const err = error instanceof Error ? error : new Error(String(error));
        enqueue.emit({ type: 'cycle.failed', id: e.id, error: err });
        return;
      }
      if (out.kind === 'quiet') {
        enqueue.emit({ type: 'cycle.quiet', id: e.id });
      } else if (out.kind === 'decided') {
        broadcastDecision(context, out.work);
        enqueue.emit({ type: 'cycle.done', id: e.id, record: closedRecord(out.work) });
        enqueue.assign({ stopPrice: out.stopPrice, work: null });
      } else {
        enqueue.assign({ work: out.work });
        enqueue.raise({ type: 'SENSED' });
        for (const f of out.failures)
          enqueue.raise({ type: 'PLANET.VERDICT', planet: f.planet, verdict: f.verdict, error: f.error });
      }
    }),
    // A moon that threw outside sensing (on its anchor): supervised, its fault joins the next record.
    moonFailed: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Extract<SunEvent, { type: 'MOON.FAILED' }>;
      const i = context.moons.findIndex((m) => m.name === e.moon && m.gen === e.gen && m.moon !== null);
      if (i < 0) return;
      const out = superviseMoon(context.supervisor, context.moons[i]!, e.error);
      enqueue.assign(({ context: c }) => ({
        moons: c.moons.map((m, j) => (j === i ? out.slot : m)),
        ...addFault(c, out.fault),
      }));
      if (out.escalation !== null) enqueue.raise({ type: 'ESCALATE', error: out.escalation });
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
      enqueue.assign(({ context: c }) =>
        c.work === null || !c.work.pending.includes(e.planet)
          ? addFault(c, fault)
          : { work: failPending(c.work, e.planet, slot.planet?.weight ?? 0, e.timedOut, fault) },
      );
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
            ref: spawn('planet', { id: planetId(p.name, gen), input: planetInput(c.deps, planet) }),
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
    isFull: ({ context }) => context.work?.mode?.mode === ExecutionMode.FULL_AGENT,
    // FULL_AGENT with `agents.routingLlm` on: one call chooses the route (the rules' stays on failure).
    routesByLlm: ({ context }) =>
      context.work?.mode?.mode === ExecutionMode.FULL_AGENT &&
      context.deps.config.routingLlm.enabled &&
      context.deps.gateway !== null &&
      (context.deps.routing?.choices.length ?? 0) > 0 &&
      context.work.route !== null,
    allReportedFull: ({ context }) =>
      context.work?.pending.length === 0 && context.work.mode?.mode === ExecutionMode.FULL_AGENT,
    allReported: ({ context }) => context.work?.pending.length === 0,
    /** Something to remember: a reasoned cycle, with a memory. */
    hasAudience: ({ context }) => {
      const r = context.work?.record;
      if (r === undefined || r === null) return false;
      return context.deps.memory !== null && r.mode !== ExecutionMode.MONITOR_ONLY && r.wokenBy === undefined;
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
    moons: input.moons.map((m) => ({ name: m.name, create: m.create, gen: 0, moon: m.create() })),
    planets: input.planets.map((p) => {
      const planet = p.create();
      return {
        name: p.name,
        create: p.create,
        gen: 0,
        planet,
        ref: spawn('planet', { id: planetId(p.name, 0), input: planetInput(input, planet) }),
      };
    }),
    stopPrice: undefined,
    barsSeen: 0,
    tilt: 0,
    edge: new EdgeCalibrator(input.config.moons.longVolSpan),
    work: null,
    faults: [],
    escalation: null,
  }),
  initial: 'idle',
  on: {
    // A planet actor that failed (its callback threw): supervised, then handled as a failed planet.
    'xstate.error.actor.*': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const id = event.type.slice('xstate.error.actor.'.length);
        const child = childName(id);
        const name = child.slice('planet:'.length);
        const error = (event as { error: unknown }).error;
        const verdict = context.supervisor.failed(child);
        enqueue.raise({ type: 'PLANET.FAILED', cycleId: -1, planet: name, error, timedOut: false });
        if (verdict === 'escalate')
          enqueue.raise({ type: 'ESCALATE', error: new SupervisionEscalatedError(child, { cause: error }) });
      }),
    },
    'MOON.FAILED': { actions: 'moonFailed' },
    'PLANET.FAILED': { actions: 'planetFailed' },
    'PLANET.VERDICT': { actions: 'applyVerdict' },
    ESCALATE: { target: '.escalated', actions: assign({ escalation: ({ event }) => event.error }) },
  },
  states: {
    idle: {
      on: {
        CYCLE: { actions: 'sense' },
        'CYCLE.SENSED': { actions: 'sense' },
        WAKE: { actions: 'wake' },
        SENSED: { target: 'routing' },
      },
    },
    routing: {
      // Only LIGHT_REASONING cycles batch their planets' calls: the others tell their batch now.
      // Reasoning cycles route their query through the planets' tree: who is consulted.
      entry: enqueueActions(({ context, enqueue }) => {
        const w = context.work;
        if (w?.mode?.mode !== ExecutionMode.LIGHT_REASONING) w?.batch?.seal();
        const routing = context.deps.routing;
        if (w === null || routing === null || w.mode?.mode === ExecutionMode.MONITOR_ONLY) return;
        enqueue.assign({ work: { ...w, route: routing.route(routingQuery(w.snapshot!, w.input.news)) } });
      }),
      always: [
        { guard: 'routesByLlm', target: 'routingByLlm' },
        { guard: 'isFull', target: 'recalling' },
        { target: 'consulting' },
      ],
    },
    routingByLlm: {
      entry: assign({
        work: ({ context }) => {
          const w = context.work!;
          const cycle = { symbol: w.input.symbol, time: w.input.bar.time };
          const permit = createCallAllowance(context.deps.gateway!, 'sun:router', 1, { cycle });
          return { ...w, routerPermit: permit, allowances: [...w.allowances, permit] };
        },
      }),
      invoke: {
        src: 'llmRoute',
        input: ({ context }) => {
          const w = context.work!;
          const { config } = context.deps;
          return {
            routing: context.deps.routing!,
            query: routingQuery(w.snapshot!, w.input.news),
            rules: w.route!,
            task: config.routingLlm.task,
            maxTokens: config.routingLlm.maxTokens,
            allowance: w.routerPermit!,
          };
        },
        onDone: {
          target: 'recalling',
          actions: assign({
            work: ({ context, event }) => ({
              ...context.work!,
              ...lap(context.work!, 'route'),
              route: event.output,
            }),
          }),
        },
        onError: {
          target: 'recalling',
          actions: assign({
            work: ({ context, event }) => {
              const w = context.work!;
              return { ...w, ...lap(w, 'route'), route: { ...w.route!, llmError: errorText(event.error) } };
            },
          }),
        },
      },
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
        const cycle = { symbol: w.input.symbol, time: w.input.bar.time };
        const batch = w.mode!.mode === ExecutionMode.LIGHT_REASONING ? w.batch : null;
        const routing = context.deps.routing;
        for (const slot of context.planets) {
          // Off the route: not consulted, no call (planets the tree does not name are always consulted).
          if (routing?.routed.has(slot.name) && !w.route?.planets.includes(slot.name)) continue;
          if (slot.ref === null || slot.planet === null) {
            reports[slot.name] = faultyReport(slot.name, 0, 'stopped', 'stopped by supervision');
            continue;
          }
          const pre = w.preReports.find((r) => r.planet === slot.name);
          if (pre !== undefined && pre.status !== 'ok') {
            reports[slot.name] = pre; // already failed this cycle (and supervised) in the deterministic pass
            continue;
          }
          const agent = `planet:${slot.name}`;
          const allowance =
            gateway === null
              ? undefined
              : batch !== null
                ? batch.permit(agent)
                : createCallAllowance(gateway, agent, 1, { cycle });
          if (allowance !== undefined) allowances.push(allowance);
          pending.push(slot.name);
          const cmd: AnalyzeCommand = {
            log: w.log,
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
        batch?.seal();
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
      entry: ['finishDecision', ({ context }) => broadcastDecision(context)],
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
        WAKE: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            enqueue.emit({ type: 'cycle.failed', id: event.id, error: context.escalation! });
          }),
        },
      },
    },
  },
});
