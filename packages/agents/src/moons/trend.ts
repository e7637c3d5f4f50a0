import type { Moon, MoonInput } from './moon.ts';

/** The trend forecast: exponentially weighted moving-average crossovers, risk-normalised. */
export interface TrendReading {
  /** Combined forecast in [−1, 1]: the mean of the speeds that have warmed up, / 10, clipped. */
  forecast: number | null;
  /** Each speed's scaled forecast (Carver's units: average |f| ≈ 10, capped at ±20), null until warm. */
  speeds: (number | null)[];
}

/**
 * Forecast scalars of EWMAC(f, 4f) that make the average |forecast| about 10 (R. Carver, "Systematic
 * Trading", 2015, table 49) — they depend on the ratio of the spans only, not on the asset.
 */
const CARVER_SCALARS: Readonly<Record<number, number>> = {
  2: 10.6,
  4: 7.5,
  8: 5.3,
  16: 3.75,
  32: 2.65,
  64: 1.87,
};

/** The scalar of EWMAC(fast, slow): the table's value for `fast`, else interpolated as 15/√fast. */
export function ewmacScalar(fast: number): number {
  return CARVER_SCALARS[fast] ?? 15 / Math.sqrt(fast);
}

/**
 * The trend-following forecast of the technical planet: for each speed (fast, slow), the raw crossover
 * EMA_fast − EMA_slow of the close, divided by the exponentially weighted standard deviation of daily
 * price changes (span `volSpan`), times the speed's forecast scalar, capped at ±20. A speed counts once
 * `slow` bars have passed; the forecast is their mean / 10 clipped to [−1, 1], so a typical trend reads
 * about ±1 and a flat market 0. O(speeds) per bar.
 */
export function trendMoon(speeds: readonly (readonly [number, number])[], volSpan = 36): Moon<TrendReading> {
  for (const [f, s] of speeds) {
    if (!(f >= 1 && s > f)) throw new RangeError(`trendMoon: speed (${f}, ${s}) needs 1 <= fast < slow`);
  }
  const fastEma = speeds.map(() => Number.NaN);
  const slowEma = speeds.map(() => Number.NaN);
  const lam = 2 / (volSpan + 1);
  let prev: number | null = null;
  let var2: number | null = null;
  let bars = 0;
  const empty: TrendReading = { forecast: null, speeds: speeds.map(() => null) };
  return {
    name: 'trend',
    empty,
    update({ bar }: MoonInput): TrendReading {
      const c = bar.close;
      bars++;
      if (prev !== null) {
        const d = c - prev;
        var2 = var2 === null ? d * d : var2 + lam * (d * d - var2);
      }
      prev = c;
      for (let i = 0; i < speeds.length; i++) {
        const [f, s] = speeds[i]!;
        fastEma[i] = Number.isNaN(fastEma[i]!) ? c : fastEma[i]! + (2 / (f + 1)) * (c - fastEma[i]!);
        slowEma[i] = Number.isNaN(slowEma[i]!) ? c : slowEma[i]! + (2 / (s + 1)) * (c - slowEma[i]!);
      }
      const sd = var2 === null ? 0 : Math.sqrt(var2);
      const out: (number | null)[] = [];
      let sum = 0;
      let n = 0;
      for (let i = 0; i < speeds.length; i++) {
        const [f, s] = speeds[i]!;
        if (bars < s || !(sd > 0)) {
          out.push(null);
          continue;
        }
        const raw = (ewmacScalar(f) * (fastEma[i]! - slowEma[i]!)) / sd;
        const capped = Math.max(-20, Math.min(20, raw));
        out.push(capped);
        sum += capped;
        n++;
      }
      return { forecast: n === 0 ? null : Math.max(-1, Math.min(1, sum / n / 10)), speeds: out };
    },
  };
}
