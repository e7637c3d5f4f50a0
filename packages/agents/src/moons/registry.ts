import type { SolarSystemConfig } from '../config.ts';
import { alertsMoon } from './alerts.ts';
import { atrMoon } from './atr.ts';
import { bollingerMoon } from './bollinger.ts';
import { drawdownMoon } from './drawdown.ts';
import { macdMoon } from './macd.ts';
import { materialChangeMoon } from './material-change.ts';
import type { MoonFactory } from './moon.ts';
import { movingAverageMoon } from './moving-average.ts';
import { positionSizingMoon } from './position-sizing.ts';
import { regimeMoon } from './regime.ts';
import { rsiMoon } from './rsi.ts';
import { trendMoon } from './trend.ts';
import { valueAtRiskMoon } from './value-at-risk.ts';
import { volatilityMoon } from './volatility.ts';

/**
 * The moons of one symbol, in update order: indicators first, then the moons that read them (regime
 * reads volatility; sizing and alerts read ATR; trend is the technical planet's forecast), then `extra` moons, and the material-change detector
 * last, since it reads everything.
 */
export function moonFactories(
  config: Pick<SolarSystemConfig, 'moons' | 'risk' | 'materialChange'>,
  extra: readonly MoonFactory[] = [],
): MoonFactory[] {
  const m = config.moons;
  const r = config.risk;
  return [
    () => rsiMoon(m.rsiPeriod),
    () => macdMoon(m.macd.fast, m.macd.slow, m.macd.signal),
    () => bollingerMoon(m.bollinger.period, m.bollinger.k),
    () => atrMoon(m.atrPeriod),
    () => movingAverageMoon(m.emaFast, m.smaSlow, m.volumeWindow),
    () => volatilityMoon(m.volatilityWindow, m.volatilityLongWindow, m.periodsPerYear),
    () => drawdownMoon(m.drawdownWindow),
    () => valueAtRiskMoon(m.varWindow, m.varConfidence),
    () =>
      regimeMoon({
        window: m.regimeWindow,
        trendEfficiency: m.trendEfficiency,
        lowVolRatio: m.lowVolRatio,
        highVolRatio: m.highVolRatio,
      }),
    () =>
      positionSizingMoon({
        stopAtrMultiple: r.stopAtrMultiple,
        volSpan: m.volSpan,
        longVolSpan: m.longVolSpan,
        periodsPerYear: m.periodsPerYear,
      }),
    () => trendMoon(m.trendSpeeds, m.volSpan),
    () => alertsMoon(m.spikeTrMultiple),
    ...extra,
    () =>
      materialChangeMoon(
        config.materialChange.thresholds,
        config.materialChange.warmupBars,
        config.materialChange.scaled,
      ),
  ];
}
