import type { SolarSystemConfig } from './config.ts';
import type { SizingReading } from './moons/position-sizing.ts';

type Risk = SolarSystemConfig['risk'];

/**
 * The annualised volatility a full-conviction position in `symbol` aims at: `risk.volTargets[symbol]`,
 * else a number `risk.volTarget`, else (`auto`) the larger of `volTargetFloor` and the asset's own
 * long-run volatility — an index gets about 15 %, bitcoin its usual 60–80 %. Null while unknown.
 */
export function volTargetOf(symbol: string, sizing: SizingReading, risk: Risk): number | null {
  const own = risk.volTargets[symbol];
  if (own !== undefined) return own;
  if (risk.volTarget !== 'auto') return risk.volTarget;
  return sizing.sigmaLong === null ? null : Math.max(risk.volTargetFloor, sizing.sigmaLong);
}

/**
 * How well past forecasts predicted the next bar's return: an exponentially weighted least-squares slope
 * of r(t+1) on f(t) through the origin, β = Σ f·r / Σ f², so the expected one-bar return of forecast f
 * is β·f. What fractional Kelly sizes on (never on trailing returns alone). O(1) per bar.
 */
export class EdgeCalibrator {
  readonly #lambda: number;
  readonly #minSamples: number;
  #sfr = 0;
  #sff = 0;
  #n = 0;
  #prevForecast: number | null = null;
  #prevClose: number | null = null;

  constructor(span = 500, minSamples = 100) {
    this.#lambda = 2 / (span + 1);
    this.#minSamples = minSamples;
  }

  /** Feeds the bar's close and the forecast decided on it (in that order of time). */
  observe(close: number, forecast: number): void {
    if (this.#prevForecast !== null && this.#prevClose !== null && this.#prevClose > 0) {
      const r = close / this.#prevClose - 1;
      const f = this.#prevForecast;
      this.#sfr += this.#lambda * (f * r - this.#sfr);
      this.#sff += this.#lambda * (f * f - this.#sff);
      this.#n++;
    }
    this.#prevClose = close;
    this.#prevForecast = Number.isFinite(forecast) ? forecast : 0;
  }

  /** β, or null before `minSamples` bars or while every forecast was 0. */
  get beta(): number | null {
    return this.#n < this.#minSamples || !(this.#sff > 0) ? null : this.#sfr / this.#sff;
  }
}

/** What {@link targetWeight} reads. */
export interface WeightInput {
  symbol: string;
  /** In [−1, 1]. */
  forecast: number;
  sizing: SizingReading;
  risk: Risk;
  /** The risk planet's multiplier, in [0, 1]. */
  riskMultiplier: number;
  /** With `sizing: kelly`: the calibrated one-bar edge per unit of forecast. */
  beta?: number | null;
}

/**
 * The target weight (signed fraction of equity) of a forecast:
 * - `volatility` (default): clip(forecast × σ_target / σ̂, ±maxPositionFraction) — a forecast of 1 runs
 *   the position at the target volatility;
 * - `kelly`: clip(kellyFraction × μ̂ / σ̂², ±maxPositionFraction) with μ̂ = β × forecast × bars per year
 *   (the textbook continuous Kelly fraction μ/σ² of a held position, on the forecast's measured edge;
 *   0 while that edge is unknown or not positive);
 * times the risk multiplier. Null while σ̂ is unknown (warming up).
 */
export function targetWeight(w: WeightInput): number | null {
  const { sizing, risk } = w;
  const sigma = sizing.sigma;
  if (sigma === null || !(sigma > 0)) return null;
  const cap = risk.maxPositionFraction;
  const m = Math.max(0, Math.min(1, w.riskMultiplier));
  let raw: number;
  if (risk.sizing === 'kelly') {
    const beta = w.beta ?? null;
    const ppy = sizing.periodsPerYear;
    if (beta === null || !(beta > 0) || ppy === null) return 0;
    const mu = beta * w.forecast * ppy;
    raw = (risk.kellyFraction * mu) / (sigma * sigma);
  } else {
    const target = volTargetOf(w.symbol, sizing, risk);
    if (target === null) return null;
    raw = (w.forecast * target) / sigma;
  }
  const weight = Math.max(-cap, Math.min(cap, raw)) * m;
  return weight === 0 ? 0 : weight;
}

/**
 * Whether a position at `current` should be traded to `target`: when it drifted more than
 * `rebalanceBand × |target|` (and at least `minTradeFraction`) away, or when the target is flat (or
 * flips side) and the position is not.
 */
export function needsRebalance(target: number, current: number, risk: Risk): boolean {
  if (target === current) return false;
  if ((target === 0 || Math.sign(target) !== Math.sign(current)) && current !== 0) return true;
  const gap = Math.abs(target - current);
  return gap >= risk.minTradeFraction && gap > risk.rebalanceBand * Math.abs(target);
}

/**
 * Holds a step's targets to the leverage cap: when their gross sum Σ|w| exceeds `maxExposure`, every
 * weight is scaled down by the same factor (so relative sizes, and every sign, are kept).
 */
export function scaleToExposure(
  targets: Readonly<Record<string, number>>,
  maxExposure: number,
): { scale: number; targets: Record<string, number> } {
  const gross = Object.values(targets).reduce((a, w) => a + (Number.isFinite(w) ? Math.abs(w) : 0), 0);
  const scale = gross > maxExposure && gross > 0 ? Math.max(0, maxExposure) / gross : 1;
  return {
    scale,
    targets: Object.fromEntries(Object.entries(targets).map(([s, w]) => [s, w * scale])),
  };
}
