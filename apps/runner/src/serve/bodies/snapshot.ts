import type { CoreReadings } from '@orrery/agents';
import { z } from 'zod';

const num = z.number().finite().nullable().default(null);
const reading = <S extends z.core.$ZodLooseShape>(shape: S) => z.object(shape).optional();

/** One OHLCV bar: epoch ms, prices in the quote currency, volume in units. */
export const barSchema = z.strictObject({
  time: z.number().finite(),
  open: z.number().finite(),
  high: z.number().finite(),
  low: z.number().finite(),
  close: z.number().finite(),
  volume: z.number().finite(),
});

/**
 * The built-in moons' readings as JSON. A reading left out is empty (its moon failed or is warming up);
 * a field left out is `null`. Other keys (extra moons) are kept as JSON.
 */
const readingsSchema = z
  .object({
    rsi: reading({ rsi: num }),
    macd: reading({ macd: num, signal: num, histogram: num, fastEma: num, slowEma: num }),
    bollinger: reading({ sma: num, upper: num, lower: num, percentB: num, zScore: num, width: num }),
    atr: reading({ tr: num, atr: num, atrp: num }),
    ma: reading({ emaFast: num, smaSlow: num, volumeSma: num }),
    volatility: reading({ realised: num, annualised: num, longRun: num, ratio: num }),
    drawdown: reading({ peak: num, drawdown: num, maxDrawdown: num }),
    var: reading({
      var: num,
      confidence: z.number().gt(0).lt(1).default(0.95),
      samples: z.int().min(0).default(0),
    }),
    regime: reading({
      trend: z.enum(['up', 'down', 'range']).nullable().default(null),
      volatility: z.enum(['low', 'normal', 'high']).nullable().default(null),
      efficiency: num,
    }),
    sizing: reading({
      periodsPerYear: num,
      sigma: num,
      sigmaLong: num,
      stopDistance: num,
    }),
    trend: reading({
      forecast: z.number().min(-1).max(1).nullable().default(null),
      speeds: z.array(z.number().finite().nullable()).max(16).default([]),
    }),
    alerts: reading({
      critical: z.array(z.string().max(500)).max(64).default([]),
      stopBreached: z.boolean().default(false),
    }),
    change: reading({
      features: z.record(z.string().max(64), z.number().finite()).default({}),
      changed: z.array(z.string().max(64)).max(64).default([]),
      warm: z.boolean().default(false),
    }),
  })
  .catchall(z.json());

/**
 * A moon snapshot as JSON — what a sun in another process already computed for one symbol and bar
 * (agents' `MoonSnapshot`; `features`, `changedFeatures` and `criticalUpdates` are derived again from
 * the readings).
 */
export const snapshotSchema = z.strictObject({
  symbol: z.string().min(1).max(64),
  bar: barSchema,
  barsSeen: z.int().min(1),
  readings: readingsSchema.default({}),
  failedMoons: z.array(z.string().max(64)).max(64).default([]),
});

/** A validated snapshot body, before the empty readings are filled in. */
export type SnapshotBody = z.output<typeof snapshotSchema>;

// Compile-time guard: the schema's readings stay assignable to the agents' types.
type _ReadingsFit = {
  [K in keyof CoreReadings]-?: NonNullable<SnapshotBody['readings'][K]> extends CoreReadings[K]
    ? true
    : never;
};
const _fit: _ReadingsFit = {
  rsi: true,
  macd: true,
  bollinger: true,
  atr: true,
  ma: true,
  volatility: true,
  drawdown: true,
  var: true,
  regime: true,
  sizing: true,
  trend: true,
  alerts: true,
  change: true,
};
void _fit;
