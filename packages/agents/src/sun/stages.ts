import { ExecutionMode, type ModeDecision, type ModeSignals, selectMode } from '@orrery/core';
import type { SolarSystemConfig } from '../config.ts';
import { type ConsensusResult, consensus } from '../consensus.ts';
import { type Decision, decisionFromSignal } from '../decision.ts';
import type { LLMCaller } from '../llm-caller.ts';
import type { PortfolioView } from '../market.ts';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import { fmt, type Planet, type PlanetReport } from '../planets/planet.ts';
import { fragilityOf } from '../planets/risk.ts';
import { type ClampContext, clampDecision } from '../risk-clamp.ts';

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
        ...a,
      });
    } catch (error) {
      failures.push({ planet: slot.name, error });
      reports.push(faultyReport(slot.name, slot.planet.weight, 'failed', errorText(error)));
    }
  }
  return { reports: sortReports(reports), failures };
}

/** Reports sorted by planet name (records and prompts do not depend on arrival order). */
export function sortReports(reports: PlanetReport[]): PlanetReport[] {
  return reports.sort((a, b) => a.planet.localeCompare(b.planet));
}

/** A decision from a consensus (source `consensus`), before the clamp. */
export function consensusToDecision(
  c: ConsensusResult,
  s: MoonSnapshot,
  pos: PositionView,
  config: SolarSystemConfig,
): Decision {
  const rationale = c.reached
    ? `planet consensus: signal ${fmt(c.signal)} (confidence ${fmt(c.confidence)}, dissent ${fmt(c.dissent)}, ${c.voters} voters)`
    : `no quorum (${c.present} of ${c.quorum} needed): hold`;
  return decisionFromSignal(
    c.reached ? c.signal : 0,
    c.confidence,
    {
      symbol: s.symbol,
      price: s.bar.close,
      atr: s.readings.atr.atr,
      sizing: s.readings.sizing,
      current: pos.current,
      risk: config.risk,
      entrySignal: config.planets.entrySignal,
    },
    'consensus',
    rationale,
  );
}

/** The `MONITOR_ONLY` decision: hold, unless a risk rule (limit, stop, loss) acts; then source `risk`. */
export function monitorDecision(
  s: MoonSnapshot,
  pos: PositionView,
  config: SolarSystemConfig,
  why: string,
): { decision: Decision; clamps: string[] } {
  const hold: Decision = {
    symbol: s.symbol,
    action: 'hold',
    targetFraction: pos.current,
    confidence: 1,
    rationale: why,
    source: 'monitor',
  };
  const { decision, clamps } = clampDecision(hold, clampContext(s, pos, config.risk));
  return { decision: clamps.length > 0 ? { ...decision, source: 'risk' } : decision, clamps };
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
  const thresholds = Object.fromEntries(Object.entries(config.mode).filter(([, v]) => v !== undefined));
  const mode = selectMode(signals, thresholds);
  if (gateway === null && mode.mode !== ExecutionMode.MONITOR_ONLY) {
    return {
      mode: { ...mode, reason: `${mode.reason} (no gateway: deterministic planets)` },
      signals,
      fragility,
    };
  }
  return { mode, signals, fragility };
}

/** The consensus of a set of reports under the configured quorum. */
export function vote(reports: readonly PlanetReport[], config: SolarSystemConfig): ConsensusResult {
  return consensus(reports, { quorum: config.planets.quorum });
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
