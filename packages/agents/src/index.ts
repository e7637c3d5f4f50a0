export {
  DEFAULT_CHANGE_THRESHOLDS,
  parseSolarSystemConfig,
  type SolarSystemConfig,
  type SolarSystemConfigInput,
  solarSystemConfigSchema,
} from './config.ts';
export * from './errors.ts';
export {
  assertValidBar,
  assertValidPortfolio,
  type Bar,
  type PortfolioView,
  positionFraction,
} from './market.ts';
export { type AlertsReading, alertsMoon } from './moons/alerts.ts';
export { type AtrReading, atrMoon } from './moons/atr.ts';
export { type BollingerReading, bollingerMoon } from './moons/bollinger.ts';
export { type DrawdownReading, drawdownMoon } from './moons/drawdown.ts';
export { Ema } from './moons/ema.ts';
export { extractFeatures } from './moons/features.ts';
export { type MacdReading, macdMoon } from './moons/macd.ts';
export { type ChangeReading, MaterialChangeDetector, materialChangeMoon } from './moons/material-change.ts';
export type { Moon, MoonFactory, MoonInput } from './moons/moon.ts';
export { createMoonBank, type MoonBank } from './moons/moon-bank.ts';
export { type MovingAverageReading, movingAverageMoon } from './moons/moving-average.ts';
export {
  cappedKelly,
  positionSizingMoon,
  riskPerTradeFraction,
  type SizingOptions,
  type SizingReading,
} from './moons/position-sizing.ts';
export {
  type RegimeOptions,
  type RegimeReading,
  regimeMoon,
  type TrendRegime,
  type VolatilityLevel,
} from './moons/regime.ts';
export { moonFactories } from './moons/registry.ts';
export { type RsiReading, rsiMoon } from './moons/rsi.ts';
export {
  buildSnapshot,
  type CoreReadings,
  EMPTY_CORE_READINGS,
  type MoonSnapshot,
  type Readings,
} from './moons/snapshot.ts';
export { type VarReading, valueAtRiskMoon } from './moons/value-at-risk.ts';
export { type VolatilityReading, volatilityMoon } from './moons/volatility.ts';
