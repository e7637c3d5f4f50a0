import type { Bar } from '../market.ts';
import type { AlertsReading } from './alerts.ts';
import type { AtrReading } from './atr.ts';
import type { BollingerReading } from './bollinger.ts';
import type { DrawdownReading } from './drawdown.ts';
import type { MacdReading } from './macd.ts';
import type { ChangeReading } from './material-change.ts';
import type { MovingAverageReading } from './moving-average.ts';
import type { SizingReading } from './position-sizing.ts';
import type { RegimeReading } from './regime.ts';
import type { RsiReading } from './rsi.ts';
import type { TrendReading } from './trend.ts';
import type { VarReading } from './value-at-risk.ts';
import type { VolatilityReading } from './volatility.ts';

/** The readings of the built-in moons, by moon name. */
export interface CoreReadings {
  rsi: RsiReading;
  macd: MacdReading;
  bollinger: BollingerReading;
  atr: AtrReading;
  ma: MovingAverageReading;
  volatility: VolatilityReading;
  drawdown: DrawdownReading;
  var: VarReading;
  regime: RegimeReading;
  sizing: SizingReading;
  trend: TrendReading;
  alerts: AlertsReading;
  change: ChangeReading;
}

/** Every reading of a bar: the built-in moons' and any extra moon's (by its name). */
export type Readings = CoreReadings & Readonly<Record<string, unknown>>;

/** What the moons know about one symbol after one bar: the input of every planet. */
export interface MoonSnapshot {
  symbol: string;
  bar: Bar;
  /** Bars seen for this symbol, this one included. */
  barsSeen: number;
  readings: Readings;
  /** Moons that failed on this bar or are stopped; their readings are empty. */
  failedMoons: string[];
  /** Critical updates raised on this bar (stop breached, volatility spike). */
  criticalUpdates: string[];
  /** The material features of this bar (see `extractFeatures`). */
  features: Record<string, number>;
  /** Features that moved past their thresholds since the last reasoned decision. */
  changedFeatures: string[];
}

/** Readings of the built-in moons before they have data (and when they have failed). */
export const EMPTY_CORE_READINGS: Readonly<CoreReadings> = Object.freeze({
  rsi: { rsi: null },
  macd: { macd: null, signal: null, histogram: null, fastEma: null, slowEma: null },
  bollinger: { sma: null, upper: null, lower: null, percentB: null, zScore: null, width: null },
  atr: { tr: null, atr: null, atrp: null },
  ma: { emaFast: null, smaSlow: null, volumeSma: null },
  volatility: { realised: null, annualised: null, longRun: null, ratio: null },
  drawdown: { peak: null, drawdown: null, maxDrawdown: null },
  var: { var: null, confidence: 0.95, samples: 0 },
  regime: { trend: null, volatility: null, efficiency: null },
  sizing: { periodsPerYear: null, sigma: null, sigmaLong: null, stopDistance: null },
  trend: { forecast: null, speeds: [] },
  alerts: { critical: [], stopBreached: false },
  change: { features: {}, changed: [], warm: false },
});

/** Assembles a snapshot; built-in moons without a reading (failed, stopped) get their empty reading. */
export function buildSnapshot(
  symbol: string,
  bar: Bar,
  barsSeen: number,
  readings: Readonly<Record<string, unknown>>,
  failedMoons: readonly string[],
): MoonSnapshot {
  const all = { ...EMPTY_CORE_READINGS, ...readings } as Readings;
  return {
    symbol,
    bar,
    barsSeen,
    readings: all,
    failedMoons: [...failedMoons],
    criticalUpdates: [...all.alerts.critical],
    features: all.change.features,
    changedFeatures: all.change.changed,
  };
}

/** The names of the built-in moons. */
export const CORE_MOONS: readonly string[] = Object.freeze(Object.keys(EMPTY_CORE_READINGS));
