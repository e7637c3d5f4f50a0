import { readFileSync } from 'node:fs';
import type { Bar } from '../../src/index.ts';

const dir = new URL('../fixtures/skender/', import.meta.url);

/** The 502 daily bars of Stock.Indicators' default.csv, times as UTC midnight epoch ms. */
export function referenceBars(): Bar[] {
  const lines = readFileSync(new URL('default.csv', dir), 'utf8').trim().split(/\r?\n/);
  return lines.slice(1).map((line) => {
    const [date, open, high, low, close, volume] = line.split(',');
    return {
      time: Date.parse(`${date}T00:00:00Z`),
      open: Number(open),
      high: Number(high),
      low: Number(low),
      close: Number(close),
      volume: Number(volume),
    };
  });
}

/** One of the reference result files (`rsi`, `macd`, `bb`, `atr`), one row per bar. */
export function referenceResults(
  name: 'rsi' | 'macd' | 'bb' | 'atr',
): Record<string, number | null | string>[] {
  return JSON.parse(readFileSync(new URL(`${name}.standard.json`, dir), 'utf8'));
}
