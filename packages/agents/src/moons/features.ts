import type { AtrReading } from './atr.ts';
import type { BollingerReading } from './bollinger.ts';
import type { DrawdownReading } from './drawdown.ts';
import type { MacdReading } from './macd.ts';
import type { MovingAverageReading } from './moving-average.ts';
import type { RegimeReading } from './regime.ts';
import type { RsiReading } from './rsi.ts';
import type { VarReading } from './value-at-risk.ts';
import type { VolatilityReading } from './volatility.ts';

/**
 * The material features of a bar, scaled so one threshold unit means the same on any price level:
 * - `price`: 100 · ln(close) (a move of 1 ≈ 1 %)
 * - `rsi`: RSI points · `macdHist`: MACD histogram in % of the close · `percentB`: Bollinger %B
 * - `atrPct`: ATR in % of the close · `volatility`: annualised realised volatility in %
 * - `drawdown`, `var`: in % · `maSpread`: EMA-fast over SMA-slow in %
 * - `trend`: up 1, range 0, down −1 · `volLevel`: low 0, normal 1, high 2
 * Features whose moon has no value yet are absent.
 */
export function extractFeatures(
  close: number,
  readings: Readonly<Record<string, unknown>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (name: string, v: number | null | undefined): void => {
    if (v !== null && v !== undefined && Number.isFinite(v)) out[name] = v;
  };
  const rsi = readings.rsi as RsiReading | undefined;
  const macd = readings.macd as MacdReading | undefined;
  const bb = readings.bollinger as BollingerReading | undefined;
  const atr = readings.atr as AtrReading | undefined;
  const ma = readings.ma as MovingAverageReading | undefined;
  const vol = readings.volatility as VolatilityReading | undefined;
  const dd = readings.drawdown as DrawdownReading | undefined;
  const v = readings.var as VarReading | undefined;
  const regime = readings.regime as RegimeReading | undefined;
  put('price', 100 * Math.log(close));
  put('rsi', rsi?.rsi);
  if (macd?.histogram != null) put('macdHist', (100 * macd.histogram) / close);
  put('percentB', bb?.percentB);
  put('atrPct', atr?.atrp);
  if (vol?.annualised != null) put('volatility', 100 * vol.annualised);
  if (dd?.drawdown != null) put('drawdown', 100 * dd.drawdown);
  if (v?.var != null) put('var', 100 * v.var);
  if (ma?.emaFast != null && ma.smaSlow != null) put('maSpread', 100 * (ma.emaFast / ma.smaSlow - 1));
  if (regime?.trend != null) put('trend', regime.trend === 'up' ? 1 : regime.trend === 'down' ? -1 : 0);
  if (regime?.volatility != null) {
    put('volLevel', regime.volatility === 'low' ? 0 : regime.volatility === 'high' ? 2 : 1);
  }
  return out;
}
