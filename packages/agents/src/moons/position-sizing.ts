import type { AtrReading } from './atr.ts';
import type { Moon, MoonInput } from './moon.ts';

/** What the sizing needs of the market: volatility now and in the long run, annualised. */
export interface SizingReading {
  /** Bars per year (configured, else inferred from the bar times: (n − 1) intervals over the span). */
  periodsPerYear: number | null;
  /** σ̂: exponentially weighted volatility of one-bar returns (span `volSpan`), annualised. */
  sigma: number | null;
  /** The asset's long-run volatility: the same with span `longVolSpan`, annualised. */
  sigmaLong: number | null;
  /** Distance to an ATR stop as a fraction of the close (stopAtrMultiple × ATR / close). */
  stopDistance: number | null;
}

/** Parameters of the sizing moon. */
export interface SizingOptions {
  stopAtrMultiple?: number;
  volSpan?: number;
  longVolSpan?: number;
  /** Fixed bars per year; absent: inferred from the bar times. */
  periodsPerYear?: number | undefined;
  /** Bars before σ̂ is reported (default: `volSpan`). */
  minBars?: number;
}

const YEAR_MS = 365.25 * 86_400_000;

/**
 * The volatility estimates that volatility-targeted sizing divides by (see `targetWeight`): exponentially
 * weighted variances of simple one-bar returns, a fast one (σ̂) and a slow one (the asset's usual level),
 * annualised with the data's own bars per year, plus the ATR stop distance. O(1) per bar.
 */
export function positionSizingMoon(opts: SizingOptions = {}): Moon<SizingReading> {
  const stopAtrMultiple = opts.stopAtrMultiple ?? 3;
  const fast = 2 / ((opts.volSpan ?? 36) + 1);
  const slow = 2 / ((opts.longVolSpan ?? 500) + 1);
  const minBars = opts.minBars ?? opts.volSpan ?? 36;
  let prevClose: number | null = null;
  let firstTime: number | null = null;
  let bars = 0;
  let v: number | null = null;
  let vLong: number | null = null;
  const empty: SizingReading = { periodsPerYear: null, sigma: null, sigmaLong: null, stopDistance: null };
  return {
    name: 'sizing',
    empty,
    update({ bar, readings }: MoonInput): SizingReading {
      bars++;
      firstTime ??= bar.time;
      if (prevClose !== null && prevClose > 0) {
        const r = bar.close / prevClose - 1;
        v = v === null ? r * r : v + fast * (r * r - v);
        vLong = vLong === null ? r * r : vLong + slow * (r * r - vLong);
      }
      prevClose = bar.close;
      const span = bar.time - firstTime;
      const ppy = opts.periodsPerYear ?? (bars > 1 && span > 0 ? ((bars - 1) * YEAR_MS) / span : null);
      const atr = (readings.atr as AtrReading | undefined)?.atr ?? null;
      const stopDistance = atr === null ? null : (stopAtrMultiple * atr) / bar.close;
      const warm = bars > minBars && ppy !== null && v !== null && vLong !== null;
      return {
        periodsPerYear: ppy,
        sigma: warm ? Math.sqrt(v! * ppy!) : null,
        sigmaLong: warm ? Math.sqrt(vLong! * ppy!) : null,
        stopDistance,
      };
    },
  };
}
