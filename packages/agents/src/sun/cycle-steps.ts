import type { CycleRecord } from '../cycle-record.ts';
import { withPlaybook } from '../learning/sun-tuning.ts';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import { clampDecision } from '../risk-clamp.ts';
import type { SupervisionVerdict } from '../supervision.ts';
import type { SunContext } from './context.ts';
import { buildRecord, type CycleWork, lap, lapInPlace } from './cycle-work.ts';
import { codeOf, extrasOf, finalDecision, holdDecision } from './decide.ts';
import { regimeOf } from './memory.ts';
import {
  assessAll,
  chooseMode,
  clampContext,
  consensusToDecision,
  errorText,
  positionView,
  sizingExtras,
  vote,
} from './stages.ts';

/** A planet that threw in the deterministic pass, with the supervisor's verdict (to apply after). */
export interface PassFailure {
  planet: string;
  verdict: SupervisionVerdict;
  error: unknown;
}

/**
 * The deterministic pass over a sensed bar: every live planet's `assess`, the consensus, its sized and
 * clamped decision (the counterfactual) and the execution mode. Planets that threw are supervised here
 * (their faults join the cycle's); the caller applies the verdicts. Fills in `w` (a cycle's fresh
 * scratch state, see `newWork`) in place and returns it as `work`.
 */
export function deterministicPass(
  context: SunContext,
  w: CycleWork,
  snapshot: MoonSnapshot,
): { work: CycleWork; failures: PassFailure[] } {
  const { config, gateway } = context.deps;
  const pos = positionView(w.input.portfolio, w.input.symbol, snapshot.bar.close);
  const { reports, failures } = assessAll(context.planets, snapshot, w.input.news, w.input.portfolio);
  const pre = vote(reports, config, context.deps.roles);
  const extras = sizingExtras(reports, [], context.deps.roles, snapshot.bar.close);
  extras.beta = context.edge.beta;
  const preDecision = consensusToDecision(pre, snapshot, pos, config, extras);
  const consensusDecision = clampDecision(
    withPlaybook(context.deps.tuning, preDecision, regimeOf(snapshot), pos.current),
    clampContext(snapshot, pos, config.risk),
  ).decision;
  const { mode, fragility } = chooseMode(snapshot, pos, pre, preDecision, gateway, config);
  const out: PassFailure[] = [];
  if (failures.length > 0) {
    const faults = [...w.faults];
    for (const f of failures) {
      const child = `planet:${f.planet}`;
      const verdict = context.supervisor.failed(child);
      faults.push({ child, error: errorText(f.error), verdict, ...codeOf(f.error) });
      out.push({ planet: f.planet, verdict, error: f.error });
    }
    w.faults = faults;
  }
  lapInPlace(w, 'sense');
  w.snapshot = snapshot;
  w.pos = pos;
  w.preReports = reports;
  w.pre = pre;
  w.consensusDecision = consensusDecision;
  w.preDecision = preDecision;
  w.mode = mode;
  w.fragility = fragility;
  return { work: w, failures: out };
}

/**
 * MONITOR_ONLY: no LLM; the planets' deterministic forecast (with the sun's held tilt) is sized and
 * traded only past the rebalance band, so a target is held between decisions. Sets `w.decision` (in
 * place: `w` is the cycle's own scratch state) and returns `w`.
 */
export function monitorDecision(context: SunContext, w: CycleWork): CycleWork {
  const c = w.pre!;
  if (!c.reached) {
    w.decision = holdDecision(w, `${w.mode!.reason}; no planet quorum`);
    return w;
  }
  // Without a held tilt the sensing pass already sized exactly this decision.
  const d =
    context.tilt === 0 && w.preDecision !== null
      ? w.preDecision
      : consensusToDecision(c, w.snapshot!, w.pos!, context.deps.config, extrasOf(context, context.tilt, w));
  w.decision = { ...d, source: 'monitor', rationale: `${w.mode!.reason}; held: ${d.rationale}` };
  return w;
}

/**
 * The decision made final: the regime playbook scales a proposed trade, the risk clamp bounds it, the
 * stop follows, the edge calibrator observes the forecast and the record is built (`w.record`). Fills
 * in `w` in place (its `decision`, timings and `record`: pass a copy when `w` is shared) and returns the
 * stop to keep.
 */
export function finishCycle(context: SunContext, w: CycleWork): number | undefined {
  // The regime playbook scales a proposed trade before the risk clamp (no tuning: unchanged).
  if (w.decision !== null)
    w.decision = withPlaybook(context.deps.tuning, w.decision, regimeOf(w.snapshot!), w.pos!.current);
  const { final, clamps, stop } = finalDecision(w, context.stopPrice, context.deps.config.risk);
  // The calibrator learns from one forecast per closed bar: an unscheduled cycle adds none.
  if (w.wokenBy == null) context.edge.observe(w.snapshot!.bar.close, final.forecast ?? 0);
  lapInPlace(w, 'decide');
  w.record = buildRecord(w, final, clamps);
  return stop;
}

/** A copy of a shared scratch state that {@link finishCycle} may fill in (its timings copied too). */
export function ownWork(w: CycleWork): CycleWork {
  return { ...w, stagesMs: Object.assign({}, w.stagesMs) };
}

/** The record a finished cycle emits: its stage timings closed and the messages it exchanged. */
export function closedRecord(w: CycleWork): CycleRecord {
  return { ...w.record!, stagesMs: lap(w, 'broadcast').stagesMs, messages: w.log.list() };
}

/**
 * {@link closedRecord} for a cycle's own scratch state (a MONITOR_ONLY cycle decided in one go): the
 * record's timings (the work's own, see `buildRecord`) closed and its messages set in place.
 */
export function closeRecord(w: CycleWork): CycleRecord {
  lapInPlace(w, 'broadcast');
  const r = w.record!;
  r.messages = w.log.list();
  return r;
}
