import { ExecutionMode } from '@orrery/core';
import { assign, enqueueActions, setup } from 'xstate';
import { createCallAllowance } from '../call-allowance.ts';
import type { CycleFault } from '../cycle-record.ts';
import { SupervisionEscalatedError } from '../errors.ts';
import { withPlaybook } from '../learning/sun-tuning.ts';
import type { Planet } from '../planets/planet.ts';
import { clampDecision } from '../risk-clamp.ts';
import { routingQuery } from '../routing.ts';
import { EdgeCalibrator } from '../sizing.ts';
import { Supervisor } from '../supervision.ts';
import {
  type AnalyzeCommand,
  moonActor,
  type PlanetActorInput,
  type PlanetEvent,
  planetActor,
} from './actors.ts';
import {
  childName,
  moonId,
  planetId,
  type SunContext,
  type SunDeps,
  type SunEmitted,
  type SunEvent,
} from './context.ts';
import { criticTrigger } from './critic.ts';
import { buildRecord, type CycleWork, lap, newWork } from './cycle-work.ts';
import {
  addFault,
  codeOf,
  consensusOutcome,
  extrasOf,
  failPending,
  finalDecision,
  holdDecision,
  sunFailure,
  sunOutcome,
  withPermit,
} from './decide.ts';
import { llmRouteActor } from './llm-router.ts';
import { regimeOf } from './memory.ts';
import type { ReasoningResult } from './reasoning.ts';
import {
  broadcastDecision,
  criticActor,
  publishActor,
  reasonActor,
  recallActor,
  senseActor,
} from './stage-actors.ts';
import {
  assessAll,
  chooseMode,
  clampContext,
  consensusToDecision,
  errorText,
  faultyReport,
  positionView,
  sizingExtras,
  vote,
} from './stages.ts';

export type { Named, SunDeps, SunEmitted } from './context.ts';

/** How a planet actor of this sun reaches its planet's host. */
const planetInput = (deps: SunDeps, planet: Planet): PlanetActorInput => ({
  planet,
  symbol: deps.symbol,
  bus: deps.bus,
  desk: deps.desk,
});

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
    sense: senseActor,
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
    // MONITOR_ONLY: no LLM; the planets' deterministic forecast (with the sun's held tilt) is sized and
    // traded only past the rebalance band, so a target is held between decisions.
    decideMonitor: assign({
      work: ({ context }) => {
        const w = context.work!;
        const c = w.pre!;
        if (!c.reached) return { ...w, decision: holdDecision(w, `${w.mode!.reason}; no planet quorum`) };
        // Without a held tilt the sensing pass already sized exactly this decision.
        const d =
          context.tilt === 0 && w.preDecision !== null
            ? w.preDecision
            : consensusToDecision(
                c,
                w.snapshot!,
                w.pos!,
                context.deps.config,
                extrasOf(context, context.tilt),
              );
        return {
          ...w,
          decision: { ...d, source: 'monitor', rationale: `${w.mode!.reason}; held: ${d.rationale}` },
        };
      },
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
      const w0 = context.work!;
      // The regime playbook scales a proposed trade before the risk clamp (no tuning: unchanged).
      const w =
        w0.decision === null
          ? w0
          : {
              ...w0,
              decision: withPlaybook(
                context.deps.tuning,
                w0.decision,
                regimeOf(w0.snapshot!),
                w0.pos!.current,
              ),
            };
      const { final, clamps, stop } = finalDecision(w, context.stopPrice, context.deps.config.risk);
      if (w.mode!.mode !== ExecutionMode.MONITOR_ONLY) {
        for (const m of context.moons) if (m.ref !== null) enqueue.sendTo(m.ref, { type: 'ANCHOR' });
      }
      context.edge.observe(w.snapshot!.bar.close, final.forecast ?? 0);
      const timed = { ...w, ...lap(w, 'decide') };
      enqueue.assign({ stopPrice: stop, work: { ...timed, record: buildRecord(timed, final, clamps) } });
    }),
    emitRecord: enqueueActions(({ context, enqueue }) => {
      const w = context.work!;
      const record = { ...w.record!, stagesMs: lap(w, 'broadcast').stagesMs, messages: w.log.list() };
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
    isMonitor: ({ context }) => context.work?.mode?.mode === ExecutionMode.MONITOR_ONLY,
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
      return context.deps.memory !== null && r.mode !== ExecutionMode.MONITOR_ONLY;
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
            work: newWork(event.id, event.input, context.faults, event.batch ?? null),
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
            const pre = vote(reports, config, context.deps.roles);
            const extras = {
              ...sizingExtras(reports, [], context.deps.roles, snapshot.bar.close),
              beta: context.edge.beta,
            };
            const preDecision = consensusToDecision(pre, snapshot, pos, config, extras);
            const consensusDecision = clampDecision(
              withPlaybook(context.deps.tuning, preDecision, regimeOf(snapshot), pos.current),
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
                preDecision,
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
        { guard: 'isMonitor', target: 'deciding', actions: 'decideMonitor' },
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
      },
    },
  },
});
