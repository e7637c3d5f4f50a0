import type { Moon, MoonInput } from './moon.ts';
import { Ring } from './ring.ts';

const YEAR_MS = 365.25 * 86_400_000;

/** Realised volatility of log returns. */
export interface VolatilityReading {
  /** Sample σ of the last `window` one-bar log returns (a fraction per bar). */
  realised: number | null;
  /** `realised × √periodsPerYear` (bars per year configured, else inferred from the bar times). */
  annualised: number | null;
  /** An exponential average of `realised` over about `longWindow` bars (the "normal" level). */
  longRun: number | null;
  /** realised / longRun: above 1 the market is more agitated than usual. */
  ratio: number | null;
}

/**
 * Rolling realised volatility with running sums over a ring of returns (amortised O(1) per bar: the
 * sums are rebuilt once every `window` bars so rounding cannot accumulate), plus its long-run
 * level, the baseline the regime classifier and the volatility-spike alert compare against.
 */
export function volatilityMoon(
  window = 20,
  longWindow = 100,
  periodsPerYear?: number,
): Moon<VolatilityReading> {
  if (window < 2) throw new RangeError('volatilityMoon: window must be >= 2');
  const returns = new Ring(window);
  const alpha = 2 / (longWindow + 1);
  let prevClose: number | null = null;
  let sum = 0;
  let sumSq = 0;
  let sinceResync = 0;
  let longRun: number | null = null;
  let bars = 0;
  let firstTime: number | null = null;
  const empty: VolatilityReading = { realised: null, annualised: null, longRun: null, ratio: null };
  return {
    name: 'volatility',
    empty,
    update({ bar }: MoonInput): VolatilityReading {
      bars++;
      firstTime ??= bar.time;
      if (prevClose === null) {
        prevClose = bar.close;
        return empty;
      }
      const r = Math.log(bar.close / prevClose);
      prevClose = bar.close;
      const old = returns.push(r);
      sum += r;
      sumSq += r * r;
      if (old !== undefined) {
        sum -= old;
        sumSq -= old * old;
      }
      if (++sinceResync === window) {
        // running sums drift; re-adding the window once per lap keeps the error from accumulating
        sinceResync = 0;
        sum = 0;
        sumSq = 0;
        for (let i = 0; i < returns.size; i++) {
          const x = returns.at(i);
          sum += x;
          sumSq += x * x;
        }
      }
      if (!returns.full) return empty;
      const n = returns.size;
      const realised = Math.sqrt(Math.max(0, (sumSq - (sum * sum) / n) / (n - 1)));
      longRun = longRun === null ? realised : longRun + alpha * (realised - longRun);
      return {
        realised,
        annualised:
          realised * Math.sqrt(periodsPerYear ?? ((bars - 1) * YEAR_MS) / Math.max(1, bar.time - firstTime)),
        longRun,
        ratio: longRun > 0 ? realised / longRun : null,
      };
    },
  };
}
