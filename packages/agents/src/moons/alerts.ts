import type { AtrReading } from './atr.ts';
import type { Moon, MoonInput } from './moon.ts';

/** Critical updates raised on this bar (empty on a quiet bar). */
export interface AlertsReading {
  critical: string[];
  /** True when the open position's stop was crossed on this bar. */
  stopBreached: boolean;
}

/**
 * Raises critical updates, which wake the sun regardless of material change: the open position's stop
 * crossed by the bar's range, and a volatility spike (this bar's true range above `spikeTrMultiple` ×
 * the previous ATR). Reads the `atr` moon. O(1) per bar.
 */
export function alertsMoon(spikeTrMultiple = 3): Moon<AlertsReading> {
  let prevAtr: number | null = null;
  return {
    name: 'alerts',
    empty: { critical: [], stopBreached: false },
    update(input: MoonInput): AlertsReading {
      const atr = (input.readings.atr as AtrReading | undefined) ?? null;
      const reading = assess(input, atr);
      if (atr?.atr != null) prevAtr = atr.atr;
      return reading;
    },
    peek: (input: MoonInput): AlertsReading =>
      assess(input, (input.readings.atr as AtrReading | undefined) ?? null),
  };
  /** The bar's critical updates against the committed previous ATR (nothing is assigned here). */
  function assess({ bar, positionQty, stopPrice }: MoonInput, atr: AtrReading | null): AlertsReading {
    const critical: string[] = [];
    let stopBreached = false;
    if (stopPrice !== undefined && positionQty !== 0) {
      if (positionQty > 0 && bar.low <= stopPrice) {
        stopBreached = true;
        critical.push(`stop breached: low ${bar.low} <= stop ${round(stopPrice)}`);
      } else if (positionQty < 0 && bar.high >= stopPrice) {
        stopBreached = true;
        critical.push(`stop breached: high ${bar.high} >= stop ${round(stopPrice)}`);
      }
    }
    if (atr?.tr != null && prevAtr !== null && atr.tr > spikeTrMultiple * prevAtr) {
      critical.push(
        `volatility spike: true range ${round(atr.tr)} > ${spikeTrMultiple} x ATR ${round(prevAtr)}`,
      );
    }
    return { critical, stopBreached };
  }
}

function round(x: number): string {
  return Number(x.toPrecision(6)).toString();
}
