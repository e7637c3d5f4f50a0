import type { SolarSystemConfig } from '../config.ts';
import type { CycleRecord } from '../cycle-record.ts';
import type { PortfolioView } from '../market.ts';
import { scaleToExposure } from '../sizing.ts';
import type { CycleInput } from '../sun/cycle-work.ts';
import { correlatedScales } from './correlated-cap.ts';
import { ReturnCorrelation } from './correlation.ts';

/** The latest `moon.reading` the orchestrator heard for one symbol. */
export interface SymbolReading {
  barTime: number;
  /** Features past their thresholds at that bar. */
  changed: number;
  features: Readonly<Record<string, number>>;
}

/**
 * What the run's one orchestrator sees across symbols: every symbol's latest moon reading (heard on the
 * bus), every symbol's closes (for return correlations) and each step's decisions together, so limits
 * that no single symbol can see hold across the portfolio — the gross exposure (`risk.maxExposure`)
 * and positions that are one bet (`risk.maxCorrelatedExposure`) — and so a symbol's sun reasons with
 * the rest of the book in view (see {@link PortfolioBook.brief}).
 */
export class PortfolioBook {
  readonly #risk: SolarSystemConfig['risk'];
  readonly #corr: ReturnCorrelation;
  readonly #readings = new Map<string, SymbolReading>();

  constructor(risk: SolarSystemConfig['risk']) {
    this.#risk = risk;
    this.#corr = new ReturnCorrelation(risk.correlationSpan);
  }

  /** Records a symbol's reading (a later bar replaces an earlier one; an older one is ignored). */
  see(symbol: string, reading: SymbolReading): void {
    const prev = this.#readings.get(symbol);
    if (prev === undefined || prev.barTime <= reading.barTime) this.#readings.set(symbol, reading);
  }

  /** The latest reading heard for `symbol`, if any. */
  reading(symbol: string): SymbolReading | undefined {
    return this.#readings.get(symbol);
  }

  /** The return correlation of two symbols so far, or null before enough common bars (or without a correlation cap). */
  correlation(a: string, b: string): number | null {
    return this.#corr.correlation(a, b);
  }

  /**
   * Sees one step (its bars first, so a correlation includes the bar being decided) and holds its
   * decisions to the portfolio limits, in order: positions that are one bet to
   * `risk.maxCorrelatedExposure`, then the step's targets plus the positions of symbols not in the step
   * to `risk.maxExposure` (every target scaled by the same factor). A scaled decision keeps its sign,
   * names the limit in `clamps` and says by how much in its rationale.
   */
  step(inputs: readonly CycleInput[], records: readonly CycleRecord[]): CycleRecord[] {
    let out = [...records];
    const cap = this.#risk.maxCorrelatedExposure;
    if (cap !== undefined) {
      this.#corr.update(Object.fromEntries(inputs.map((i) => [i.symbol, i.bar.close])));
      const targets = Object.fromEntries(out.map((r) => [r.symbol, r.decision.targetFraction]));
      const scales = correlatedScales(
        targets,
        (a, b) => this.#corr.correlation(a, b),
        this.#risk.correlationThreshold,
        cap,
      );
      out = out.map((r) =>
        scaled(r, scales[r.symbol] ?? 1, 'correlated exposure', `to the ${cap} cap on correlated exposure`),
      );
    }
    const portfolio = inputs[0]?.portfolio;
    if (portfolio === undefined) return out;
    const inStep = new Set(out.map((r) => r.symbol));
    const others = grossOf(portfolio, (s) => !inStep.has(s));
    const room = Math.max(0, this.#risk.maxExposure - others);
    const { scale } = scaleToExposure(
      Object.fromEntries(out.map((r) => [r.symbol, r.decision.targetFraction])),
      room,
    );
    if (!(scale < 1)) return out;
    const why = `to the ${this.#risk.maxExposure} gross exposure cap (${fmt(others)} held in other symbols)`;
    return out.map((r) => scaled(r, scale, 'max exposure', why));
  }

  /**
   * The rest of the book as `symbol`'s sun should see it: gross exposure against the cap, and each other
   * position with its latest reading (trend, volatility, drawdown) and its correlation to `symbol`.
   */
  brief(symbol: string, portfolio: PortfolioView): string[] {
    const gross = grossOf(portfolio, () => true);
    const lines = [
      `Portfolio: gross exposure ${fmt(gross)} of equity (cap ${fmt(this.#risk.maxExposure)}), cash ${fmt(portfolio.cash / portfolio.equity)}.`,
    ];
    const others = Object.entries(portfolio.positions).filter(([s, p]) => s !== symbol && p.qty !== 0);
    for (const [s, p] of others.slice(0, MAX_BRIEFED)) {
      const weight = (p.qty * (p.markPrice ?? p.avgPrice)) / portfolio.equity;
      const r = this.#readings.get(s)?.features;
      const rho = this.#corr.correlation(symbol, s);
      const parts = [
        `${s} ${fmt(weight)} of equity`,
        ...(r?.trend === undefined ? [] : [`trend ${r.trend > 0 ? 'up' : r.trend < 0 ? 'down' : 'flat'}`]),
        ...(r?.volatility === undefined ? [] : [`vol ${fmt(r.volatility)} %`]),
        ...(r?.drawdown === undefined ? [] : [`drawdown ${fmt(r.drawdown)} %`]),
        ...(rho === null ? [] : [`correlation to ${symbol} ${fmt(rho)}`]),
      ];
      lines.push(`  ${parts.join(', ')}`);
    }
    if (others.length > MAX_BRIEFED) lines.push(`  … and ${others.length - MAX_BRIEFED} more positions`);
    return lines;
  }
}

/** Other positions named in a brief (the prompt stays short in a large book). */
const MAX_BRIEFED = 12;

function grossOf(p: PortfolioView, include: (symbol: string) => boolean): number {
  let g = 0;
  for (const [s, o] of Object.entries(p.positions)) {
    if (include(s)) g += Math.abs(o.qty * (o.markPrice ?? o.avgPrice));
  }
  return g / p.equity;
}

function scaled(r: CycleRecord, f: number, clamp: string, why: string): CycleRecord {
  if (!(f < 1)) return r;
  const d = r.decision;
  const t = d.targetFraction * f;
  if (t === d.targetFraction) return r;
  const action = t === 0 ? 'flatten' : d.action === 'hold' ? (t > 0 ? 'sell' : 'buy') : d.action;
  return {
    ...r,
    decision: {
      ...d,
      action,
      targetFraction: t,
      rationale: `${d.rationale} [portfolio: scaled x ${Number(f.toPrecision(4))} ${why}]`,
    },
    clamps: [...r.clamps, clamp],
  };
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2));
