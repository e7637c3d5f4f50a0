import {
  ExecutionMode,
  type ModeDecision,
  type ModeSignals,
  type ModeThresholds,
  selectMode,
} from '@orrery/core';
import type { SolarSystemConfig } from '../config.ts';
import { type ConsensusResult, consensus } from '../consensus.ts';
import { type Decision, decisionFromForecast, type ExecutionPlan } from '../decision.ts';
import type { LLMCaller } from '../llm-caller.ts';
import type { PortfolioView } from '../market.ts';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import { fmt, type Planet, type PlanetReport, type PlanetRole } from '../planets/planet.ts';
import { fragilityOf } from '../planets/risk.ts';
import type { ClampContext } from '../risk-clamp.ts';

/** The account as one symbol's cycle sees it. */
export interface PositionView {
  /** Signed position in the symbol, fraction of equity. */
  current: number;
  qty: number;
  /** Gross exposure of all other symbols, fraction of equity (at their mark prices, else average prices). */
  otherExposure: number;
  /** Unrealised P&L of the position, fraction of equity. */
  unrealised: number;
}

/** Reads the position of `symbol` at `price` from the portfolio. */
export function positionView(p: PortfolioView, symbol: string, price: number): PositionView {
  const pos = p.positions[symbol];
  const qty = pos?.qty ?? 0;
  let other = 0;
  for (const [sym, o] of Object.entries(p.positions)) {
    if (sym !== symbol) other += Math.abs(o.qty * (o.markPrice ?? o.avgPrice));
  }
  return {
    current: (qty * price) / p.equity,
    qty,
    otherExposure: other / p.equity,
    unrealised: pos === undefined ? 0 : (qty * (price - pos.avgPrice)) / p.equity,
  };
}

/** The clamp context of a snapshot and position. */
export function clampContext(
  s: MoonSnapshot,
  pos: PositionView,
  risk: SolarSystemConfig['risk'],
): ClampContext {
  return {
    price: s.bar.close,
    atr: s.readings.atr.atr,
    current: pos.current,
    otherExposure: pos.otherExposure,
    unrealised: pos.unrealised,
    stopBreached: s.readings.alerts.stopBreached,
    risk,
  };
}

/** A planet's report for a cycle in which it failed, timed out or is stopped. */
export function faultyReport(
  planet: string,
  weight: number,
  status: PlanetReport['status'],
  error: string,
): PlanetReport {
  return { planet, status, source: 'deterministic', weight, signal: 0, confidence: 0, reasons: [], error };
}

/** The deterministic pass: every live planet's `assess`, failures reported per planet (never thrown). */
export function assessAll(
  planets: readonly { name: string; planet: Planet | null }[],
  s: MoonSnapshot,
  news: readonly string[] | undefined,
  portfolio: PortfolioView,
): { reports: PlanetReport[]; failures: { planet: string; error: unknown }[] } {
  const reports: PlanetReport[] = [];
  const failures: { planet: string; error: unknown }[] = [];
  for (const slot of planets) {
    if (slot.planet === null) {
      reports.push(faultyReport(slot.name, 0, 'stopped', 'stopped by supervision'));
      continue;
    }
    try {
      const a = slot.planet.assess({ snapshot: s, news, portfolio });
      reports.push({
        planet: slot.name,
        status: 'ok',
        source: 'deterministic',
        weight: slot.planet.weight,
        role: slot.planet.role ?? 'forecast',
        ...a,
        ...(slot.planet.role === undefined || slot.planet.role === 'forecast' ? {} : { signal: 0 }),
      });
    } catch (error) {
      failures.push({ planet: slot.name, error });
      reports.push(faultyReport(slot.name, slot.planet.weight, 'failed', errorText(error)));
    }
  }
  // One report per slot, in slot order: put in name order by the slots' permutation.
  const order = nameOrder(planets);
  return { reports: order.map((i) => reports[i] as PlanetReport), failures };
}

const ORDERS = new WeakMap<readonly { name: string }[], number[]>();

/**
 * The slots' indices in name order (what {@link sortReports} makes of their reports), worked out once
 * per slot array: the sun's planets are a fixed list, replaced (not changed) when supervision acts.
 */
function nameOrder(planets: readonly { name: string }[]): number[] {
  let order = ORDERS.get(planets);
  if (order === undefined) {
    order = planets
      .map((_, i) => i)
      .sort((i, j) =>
        (planets[i] as { name: string }).name.localeCompare((planets[j] as { name: string }).name),
      );
    ORDERS.set(planets, order);
  }
  return order;
}

/** Reports sorted by planet name (records and prompts do not depend on arrival order). */
export function sortReports(reports: PlanetReport[]): PlanetReport[] {
  // Usually in order already (planets are assessed in a fixed order): a sort allocates, a check does not.
  for (let i = 1; i < reports.length; i++) {
    if ((reports[i - 1] as PlanetReport).planet.localeCompare((reports[i] as PlanetReport).planet) > 0)
      return reports.sort(byPlanet);
  }
  return reports;
}

const byPlanet = (a: PlanetReport, b: PlanetReport): number => a.planet.localeCompare(b.planet);

/** What sizes a forecast besides the forecast: the risk planets' multiplier, the execution plan. */
export interface SizingExtras {
  riskMultiplier: number;
  execution?: ExecutionPlan | undefined;
  /** The calibrated edge, for Kelly sizing. */
  beta?: number | null;
  /** The sun's held tilt, added to the planets' forecast. */
  tilt?: number;
}

/**
 * The multiplier of the risk planets (the smallest; a risk planet that failed this cycle is read from the
 * deterministic pass; 1 when there is none) and the execution plan of the execution planet.
 */
export function sizingExtras(
  reports: readonly PlanetReport[],
  preReports: readonly PlanetReport[],
  roles: Readonly<Record<string, PlanetRole>>,
  close: number,
): SizingExtras {
  // Each planet's report of this cycle, else its report of the deterministic pass: one pass over
  // both, no arrays or closures made (this runs in every cycle).
  let riskMultiplier = 1;
  let ex: PlanetReport['data'];
  let exFound = false;
  for (let i = 0; i < reports.length + preReports.length; i++) {
    const r = (i < reports.length ? reports[i] : preReports[i - reports.length]) as PlanetReport;
    if (r.status !== 'ok') continue;
    if (i >= reports.length && okIn(reports, r.planet)) continue;
    const role = r.role ?? roles[r.planet] ?? 'forecast';
    if (role === 'risk') {
      const m = r.data?.multiplier;
      if (typeof m === 'number' && Number.isFinite(m))
        riskMultiplier = Math.min(riskMultiplier, Math.max(0, m));
    } else if (role === 'execution' && !exFound) {
      exFound = true;
      ex = r.data;
    }
  }
  const execution: ExecutionPlan | undefined =
    ex === undefined
      ? undefined
      : {
          orderType: ex.orderType === 'limit' ? 'limit' : 'market',
          ...(ex.orderType === 'limit' ? { limitPrice: close } : {}),
          skip: ex.skip === true,
          maxParticipation: typeof ex.maxParticipation === 'number' ? ex.maxParticipation : 1,
        };
  return { riskMultiplier, execution };
}

/** True when `reports` has an ok report of `planet`. */
function okIn(reports: readonly PlanetReport[], planet: string): boolean {
  for (const x of reports) if (x.planet === planet && x.status === 'ok') return true;
  return false;
}

/**
 * Sizes a forecast into a decision (before the clamp) with the cycle's sizing inputs; a hold keeps the
 * current position.
 */
export function sizedDecision(
  forecast: number,
  confidence: number,
  s: MoonSnapshot,
  pos: PositionView,
  config: SolarSystemConfig,
  extras: SizingExtras,
  source: Decision['source'],
  rationale: string,
): Decision {
  return decisionFromForecast(
    forecast + (extras.tilt ?? 0),
    confidence,
    {
      symbol: s.symbol,
      price: s.bar.close,
      atr: s.readings.atr.atr,
      sizing: s.readings.sizing,
      current: pos.current,
      risk: config.risk,
      entrySignal: config.planets.entrySignal,
      riskMultiplier: extras.riskMultiplier,
      beta: extras.beta ?? null,
      execution: extras.execution,
    },
    source,
    rationale,
  );
}

/** A decision from a consensus (source `consensus`), before the clamp. */
export function consensusToDecision(
  c: ConsensusResult,
  s: MoonSnapshot,
  pos: PositionView,
  config: SolarSystemConfig,
  extras: SizingExtras = { riskMultiplier: 1 },
): Decision {
  const tilt = extras.tilt ?? 0;
  const rationale = c.reached
    ? `planet consensus: forecast ${fmt(c.signal)}${tilt === 0 ? '' : ` + sun tilt ${fmt(tilt)}`} (confidence ${fmt(c.confidence)}, dissent ${fmt(c.dissent)}, ${c.voters} voters), size x ${fmt(extras.riskMultiplier)}`
    : `no quorum (${c.present} of ${c.quorum} needed): hold`;
  if (!c.reached) {
    return {
      symbol: s.symbol,
      action: 'hold',
      targetFraction: pos.current,
      confidence: 0,
      rationale,
      source: 'consensus',
    };
  }
  return sizedDecision(c.signal, c.confidence, s, pos, config, extras, 'consensus', rationale);
}

/** The mode of a cycle, chosen before any LLM call, and the signals it was chosen from. */
export function chooseMode(
  s: MoonSnapshot,
  pos: PositionView,
  pre: ConsensusResult,
  preDecision: Decision,
  gateway: LLMCaller | null,
  config: SolarSystemConfig,
): { mode: ModeDecision; signals: ModeSignals; fragility: number } {
  const fragility = fragilityOf({ snapshot: s }).fragility;
  const signals: ModeSignals = {
    changedFeatures: s.changedFeatures,
    criticalUpdate: s.criticalUpdates.length > 0,
    stakes: Math.min(1, Math.abs(preDecision.targetFraction - pos.current)),
    fragility,
    confidence: pre.reached ? pre.confidence : 0,
    budget: gateway === null ? { exhausted: true, remainingFraction: 0 } : gateway.budgetStatus(),
    sunCoolingDown:
      gateway === null || (!gateway.canServe(config.sun.task) && !gateway.canServe(config.sun.backupTask)),
  };
  const force = config.mode.force;
  const thresholds = modeThresholds(config.mode);
  const mode =
    force === undefined
      ? selectMode(signals, thresholds)
      : { mode: force, reason: `forced (agents.mode.force)` };
  if (gateway === null && mode.mode !== ExecutionMode.MONITOR_ONLY) {
    return {
      mode: { ...mode, reason: `${mode.reason} (no gateway: deterministic planets)` },
      signals,
      fragility,
    };
  }
  return { mode, signals, fragility };
}

const THRESHOLDS = new WeakMap<SolarSystemConfig['mode'], Partial<ModeThresholds>>();

/** `agents.mode`'s thresholds that are set (worked out once per configuration, not every cycle). */
function modeThresholds(mode: SolarSystemConfig['mode']): Partial<ModeThresholds> {
  let t = THRESHOLDS.get(mode);
  if (t === undefined) {
    const { force: _force, ...lines } = mode;
    t = Object.fromEntries(Object.entries(lines).filter(([, v]) => v !== undefined));
    THRESHOLDS.set(mode, t);
  }
  return t;
}

/** The consensus of the forecast planets' reports under the configured quorum. */
export function vote(
  reports: readonly PlanetReport[],
  config: SolarSystemConfig,
  roles: Readonly<Record<string, PlanetRole>> = {},
): ConsensusResult {
  const members = reports.filter((r) => (r.role ?? roles[r.planet] ?? 'forecast') === 'forecast');
  return consensus(members, { quorum: config.planets.quorum });
}

/** A short, stable description of an error for records. */
export function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The stable `code` of an error, when it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
