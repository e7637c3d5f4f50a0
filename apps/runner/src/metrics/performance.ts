import type { Fill } from '@orrery/broker';
import { roundTrips } from './round-trips.ts';

/** How a run did. Ratios are fractions (0.12 = 12 %); `null` when the series is too short to say. */
export interface Performance {
  readonly startEquity: number;
  readonly endEquity: number;
  readonly totalReturn: number;
  /** Compound annual growth rate over the span of the curve. */
  readonly cagr: number | null;
  /** Annualised mean / standard deviation of per-bar returns (risk-free rate 0). */
  readonly sharpe: number | null;
  /** Annualised mean / downside deviation of per-bar returns (target 0). */
  readonly sortino: number | null;
  /** Largest peak-to-trough fall of equity, as a positive fraction. */
  readonly maxDrawdown: number;
  /** Fills executed. */
  readonly fills: number;
  /** Closed round trips, and the fraction of them with a positive net result. */
  readonly trades: number;
  readonly winRate: number | null;
  readonly feesPaid: number;
  /** Buy-and-hold's return over the same bars (of the symbol, or equal-weight of several: see `buyAndHold`). */
  readonly buyAndHoldReturn: number;
  /** Bars per year the annualisation used (inferred from the bar times). */
  readonly periodsPerYear: number;
}

const YEAR_MS = 365.25 * 86_400_000;

/**
 * Bars per year implied by a series of bar times: (n − 1) intervals over the span. Daily stock data gives
 * ≈ 252, daily crypto 365, hourly crypto ≈ 8760.
 */
export function inferPeriodsPerYear(times: readonly number[]): number {
  const first = times[0];
  const last = times.at(-1);
  if (first === undefined || last === undefined || last <= first) return 252;
  return ((times.length - 1) * YEAR_MS) / (last - first);
}

/** Drawdown at each point: 1 − equity / running peak (0 at a new high). */
export function drawdowns(equity: readonly number[]): number[] {
  let peak = Number.NEGATIVE_INFINITY;
  return equity.map((e) => {
    peak = Math.max(peak, e);
    return peak > 0 ? 1 - e / peak : 0;
  });
}

/** Return and risk of an equity series. Ratios are fractions; `null` when the series is too short to say. */
export interface RiskFigures {
  readonly totalReturn: number;
  readonly cagr: number | null;
  readonly sharpe: number | null;
  readonly sortino: number | null;
  /** Largest peak-to-trough fall, as a positive fraction (the start counts as a peak). */
  readonly maxDrawdown: number;
  readonly periodsPerYear: number;
}

/**
 * Return, CAGR, annualised Sharpe and Sortino of per-bar returns (risk-free rate 0; the first bar's
 * return is measured from `startEquity`) and max drawdown of an equity series. The run and its
 * buy-and-hold benchmark are measured with this one function, so their figures compare.
 *
 * @param periodsPerYear bars per year; inferred from the curve's times when absent.
 */
export function riskFigures(
  startEquity: number,
  curve: readonly { time: number; equity: number }[],
  periodsPerYear?: number,
): RiskFigures {
  const equity = curve.map((p) => p.equity);
  const endEquity = equity.at(-1) ?? startEquity;
  const ppy = periodsPerYear ?? inferPeriodsPerYear(curve.map((p) => p.time));
  const returns = equity.map((e, i) => e / (i === 0 ? startEquity : equity[i - 1]!) - 1);
  const n = returns.length;
  const mean = n > 0 ? returns.reduce((a, b) => a + b, 0) / n : 0;
  const sd = n > 1 ? Math.sqrt(returns.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1)) : 0;
  const down = n > 0 ? Math.sqrt(returns.reduce((a, r) => a + Math.min(r, 0) ** 2, 0) / n) : 0;
  const first = curve[0]?.time;
  const last = curve.at(-1)?.time;
  const years = first !== undefined && last !== undefined ? (last - first) / YEAR_MS : 0;
  const growth = endEquity / startEquity;
  return {
    totalReturn: growth - 1,
    cagr: years > 0 && growth > 0 ? growth ** (1 / years) - 1 : null,
    sharpe: sd > 0 ? (mean / sd) * Math.sqrt(ppy) : null,
    sortino: down > 0 ? (mean / down) * Math.sqrt(ppy) : null,
    maxDrawdown: drawdowns([startEquity, ...equity]).reduce((a, d) => Math.max(a, d), 0),
    periodsPerYear: ppy,
  };
}

/**
 * Computes a run's {@link Performance}.
 *
 * @param curve equity after each bar, in time order; `startEquity` is the equity before the first bar.
 * @param closes the benchmark's prices (or equity) on the same bars, for buy-and-hold.
 */
export function computePerformance(input: {
  readonly startEquity: number;
  readonly curve: readonly { time: number; equity: number }[];
  readonly closes: readonly number[];
  readonly fills: readonly Fill[];
}): Performance {
  const { startEquity, curve, closes, fills } = input;
  const risk = riskFigures(startEquity, curve);
  const trips = roundTrips(fills);
  const firstClose = closes[0];
  const lastClose = closes.at(-1);
  return {
    startEquity,
    endEquity: curve.at(-1)?.equity ?? startEquity,
    totalReturn: risk.totalReturn,
    cagr: risk.cagr,
    sharpe: risk.sharpe,
    sortino: risk.sortino,
    maxDrawdown: risk.maxDrawdown,
    fills: fills.length,
    trades: trips.length,
    winRate: trips.length > 0 ? trips.filter((t) => t.pnl > 0).length / trips.length : null,
    feesPaid: fills.reduce((a, f) => a + f.fee, 0),
    buyAndHoldReturn: firstClose && lastClose ? lastClose / firstClose - 1 : 0,
    periodsPerYear: risk.periodsPerYear,
  };
}
