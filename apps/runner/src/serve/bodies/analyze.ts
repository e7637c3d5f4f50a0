import { z } from 'zod';
import { chainIdSchema } from './common.ts';
import { barSchema, snapshotSchema } from './snapshot.ts';

/** Bars accepted in one analyze request (the moons need ~100 to warm up fully). */
export const MAX_BARS = 5000;

const portfolioSchema = z.strictObject({
  equity: z.number().finite(),
  cash: z.number().finite(),
  positions: z.record(
    z.string().min(1).max(64),
    z.strictObject({ qty: z.number().finite(), avgPrice: z.number().finite() }),
  ),
});

/**
 * The body of `POST /planets/:name/analyze` and of an `analyze` request to a planet on the bus: the market
 * as raw `bars` (oldest first; the server runs the moons over them and analyses the last bar) or as a
 * moon `snapshot` computed elsewhere — exactly one of the two.
 */
export const analyzeBodySchema = z
  .strictObject({
    /** Symbol of the bars (default `UNKNOWN`); ignored with `snapshot`, which names its own. */
    symbol: z.string().min(1).max(64).optional(),
    bars: z.array(barSchema).min(1).max(MAX_BARS).optional(),
    snapshot: snapshotSchema.optional(),
    /** Headlines about the symbol (the sentiment planet reads them). */
    news: z.array(z.string().max(2000)).max(100).optional(),
    portfolio: portfolioSchema.optional(),
    /** `MONITOR_ONLY`: deterministic only, no LLM; `LIGHT_REASONING` (default): at most one LLM call. */
    mode: z.enum(['MONITOR_ONLY', 'LIGHT_REASONING']).optional(),
    /** An open budget chain (`POST /chains`, HTTP only) the planet's call is charged to. */
    chainId: chainIdSchema.optional(),
  })
  .superRefine((b, ctx) => {
    if ((b.bars === undefined) === (b.snapshot === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: b.bars === undefined ? ['bars'] : ['snapshot'],
        message: 'give exactly one of bars (raw OHLCV, oldest first) or snapshot (moon readings)',
      });
    }
  });

/** A validated analyze body. */
export type AnalyzeBody = z.output<typeof analyzeBodySchema>;
