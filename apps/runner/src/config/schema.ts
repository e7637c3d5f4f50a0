import {
  compileRouting,
  InvalidConfigError,
  learningSettingsShape,
  promptEvolutionSettingsSchema,
  solarSystemConfigSchema,
} from '@orrery/agents';
import { delegationConfigSchema, gatewayConfigSchema } from '@orrery/core';
import { memoryConfigSchema } from '@orrery/memory';
import { z } from 'zod';
import { BAR_FIELDS } from '../feeds/csv-loader.ts';
import { DEFAULT_NEWS_LOOKBACK_MS, DEFAULT_NEWS_MAX_ITEMS } from '../feeds/news-window.ts';

const columnsSchema = z
  .strictObject({
    ...Object.fromEntries(BAR_FIELDS.map((f) => [f, z.string().min(1).optional()])),
    /** strftime-like format of the time column (`%m/%d/%Y`); default: detected. */
    timeFormat: z.string().min(2).optional(),
  })
  .describe(
    'CSV header name per bar field (`#N` for the N-th column); fields left out are detected from the header',
  ) as z.ZodType<Partial<Record<(typeof BAR_FIELDS)[number], string>> & { timeFormat?: string }>;

/** One market data source: a bundled dataset name (`spy`, `btc`, `btc-hourly`) or a CSV file. */
export const dataSourceSchema = z.strictObject({
  /** `spy` | `btc` | `btc-hourly` | a path to a CSV file (relative to the config file). */
  source: z.string().min(1),
  /** Symbol the bars are for (default: the bundled dataset's, or the file name). */
  symbol: z.string().min(1).optional(),
  /** Column mapping of a CSV file. */
  columns: columnsSchema.optional(),
  /** The last row was taken before its bar closed: drop it. */
  lastBarPartial: z.boolean().optional(),
  /** Drop zero-volume bars instead of keeping and counting them. */
  dropZeroVolume: z.boolean().optional(),
  /** A multi-asset ("wide") file: the symbols to read, one series each (columns like `BTC:close`). */
  symbols: z.array(z.string().min(1)).min(1).optional(),
  /** A wide file's column names, with `{symbol}` and `{field}` (default: `{symbol}:{field}` and a few more). */
  columnPattern: z.string().includes('{symbol}').includes('{field}').optional(),
  /** Fraction of rows that may be bad before the file is refused (default 0.2). */
  maxBadRowFraction: z.number().min(0).max(1).optional(),
  /** Outliers (absurd prices, spikes that come straight back): `drop` (default) or `keep`; always reported. */
  outliers: z.enum(['drop', 'keep']).optional(),
  /** Jump threshold as a multiple of the recent mean absolute log return (default 10). */
  outlierJumpMultiple: z.number().min(2).optional(),
});

/** The paper account: costs and limits. */
export const brokerConfigSchema = z.strictObject({
  /** Starting cash, quote currency. */
  initialCash: z.number().positive().default(100_000),
  /** Fee per fill in basis points of notional, charged on buys and sells. */
  feeBps: z.number().min(0).lt(1000).default(10),
  /** Slippage against the trader in basis points. */
  slippageBps: z.number().min(0).lt(1000).default(5),
  /** Extra slippage as a fraction (0..1) of the fill bar's high − low. */
  slippageRangeFraction: z.number().min(0).max(1).default(0),
  /** Positions may go short (must agree with agents.risk.allowShort). */
  allowShort: z.boolean().default(false),
  /** Gross exposure limit as a multiple of equity; above 1 is margin. */
  maxLeverage: z.number().positive().max(10).default(1),
  /** Quantities are rounded down to a multiple of this; 0 = any fraction. */
  lotSize: z.number().min(0).default(0),
});

/** A news file for the sentiment planet (see `feeds/news-file.ts` for its layouts). */
export const newsConfigSchema = z.strictObject({
  /** JSONL or CSV (`time,symbol,text`) file of dated texts (relative to the config file). */
  file: z.string().min(1),
  /** How far back from a bar's time items are still shown, ms. Default one day. */
  lookbackMs: z.number().int().positive().default(DEFAULT_NEWS_LOOKBACK_MS),
  /** Most items shown per cycle (the newest). Default 10. */
  maxItems: z.number().int().min(1).max(200).default(DEFAULT_NEWS_MAX_ITEMS),
});

const dateSchema = z
  .string()
  .regex(/^\d{4}[-/]\d{2}[-/]\d{2}([T ]\d{2}:\d{2}(:\d{2})?Z?)?$/, 'must be a date like 2015-01-31 (UTC)');

/** Where runs read and write. Relative paths resolve against the config file's folder (or the cwd). */
export const runConfigSchema = z.strictObject({
  /** Data for `orrery paper`: one source or several (traded together, one account). */
  data: z
    .union([
      z
        .string()
        .min(1)
        .transform((source) => [{ source }]),
      z.array(dataSourceSchema).min(1),
    ])
    .default([{ source: 'spy' }]),
  /** First and last bar used (inclusive, UTC). */
  from: dateSchema.optional(),
  to: dateSchema.optional(),
  /** The paper ledger (SQLite). */
  ledgerPath: z.string().min(1).default('.orrery/ledger.db'),
  /**
   * How long a write to the run ledger waits for a lock held by another process before the run stops
   * with `ORRERY_DB_BUSY` (ms). Default 30 s.
   */
  dbBusyTimeoutMs: z.number().int().min(0).max(600_000).default(30_000),
  /** The gateway's SQLite file (cooldowns, budget, cache, call ledger). */
  gatewayDbPath: z.string().min(1).default('.orrery/gateway.db'),
  /** The HTML report; `{runId}` is replaced. */
  reportPath: z.string().min(1).default('.orrery/reports/{runId}.html'),
  /**
   * News for the sentiment planet: each cycle reads the items of its symbol (or of no symbol) stamped at
   * or before the bar's time and within `lookbackMs` of it. Absent: no news (sentiment abstains).
   */
  news: newsConfigSchema.optional(),
  /** `orrery run`: the live feed. */
  live: z
    .strictObject({
      exchange: z.string().min(1).default('binance'),
      symbol: z.string().min(1).default('BTC/USDT'),
      timeframe: z
        .string()
        .regex(/^\d+[smhdw]$/, 'must be a ccxt timeframe like 1m, 1h or 1d')
        .default('1h'),
      /** Closed bars fetched before now to warm the indicators. */
      warmupBars: z.number().int().min(0).max(5000).default(100),
      /** Wait between polls when no bar has closed, ms (default: the timeframe, at most 60 s). */
      pollMs: z.number().int().positive().optional(),
      /** First wait after a network failure, ms; doubles per failure up to `retryMaxMs`. */
      retryBaseMs: z.number().int().positive().default(5_000),
      /** Longest wait between attempts while the exchange is unreachable, ms. */
      retryMaxMs: z.number().int().positive().max(3_600_000).default(60_000),
    })
    .prefault({}),
});

/**
 * The outcome-driven learning loop (planet weights, regime playbook). Each run learns on its own from
 * the configured priors (a backtest never learns from its own future); `false` turns it off.
 */
export const learningConfigSchema = z.union([
  z.literal(false),
  z.strictObject({
    /** Where learned parameters and every change with its evidence are kept (SQLite). */
    dbPath: z.string().min(1).default('.orrery/learning.db'),
    ...learningSettingsShape,
    /**
     * Prompt A/B experiments: variants per prompt id (the sun reads `sun.system`), the first being the
     * control; each variant's text is added to the prompt. Each run experiments on its own.
     */
    prompts: z
      .record(
        z.string().min(1),
        z.array(z.strictObject({ id: z.string().min(1).max(64), text: z.string() })).min(2),
      )
      .default({}),
    /** When a prompt variant is adopted: minimum outcomes per variant, significance, test. */
    promptTest: promptEvolutionSettingsSchema.prefault({}),
  }),
]);

/**
 * The whole `orrery.yaml`: each package's own schema under its section, plus the runner's `broker` and
 * `run`. Every field has a default, so an empty file (or none) is valid. `memory: false` runs without
 * episodic memory.
 */
export const orreryConfigSchema = z
  .object({
    gateway: gatewayConfigSchema.prefault({}),
    agents: solarSystemConfigSchema.prefault({}),
    /**
     * `{runId}` in `dbPath` (and the Chroma folder derived from it) is replaced by the run's id: by default
     * each run remembers only its own decisions, so a replay can never recall outcomes from its future.
     */
    memory: z
      .union([z.literal(false), memoryConfigSchema])
      .prefault({ dbPath: '.orrery/memory/{runId}/episodes.db' }),
    broker: brokerConfigSchema.prefault({}),
    run: runConfigSchema.prefault({}),
    learning: learningConfigSchema.prefault({}),
    /** Task types for `orrery delegate` (their models are the gateway's routing rules of the same name). */
    delegation: delegationConfigSchema.prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.agents.risk.allowShort && !c.broker.allowShort)
      ctx.addIssue({
        code: 'custom',
        path: ['broker', 'allowShort'],
        message: 'must be true when agents.risk.allowShort is true (the broker would refuse the shorts)',
      });
    if (c.agents.risk.maxExposure > c.broker.maxLeverage)
      ctx.addIssue({
        code: 'custom',
        path: ['agents', 'risk', 'maxExposure'],
        message: `must not exceed broker.maxLeverage (${c.broker.maxLeverage})`,
      });
    // A routing tree names planets that run (the built-ins enabled and the spec planets).
    if (c.agents.routing !== undefined && c.agents.routing !== false) {
      try {
        compileRouting(c.agents.routing, [
          ...c.agents.planets.enabled,
          ...c.agents.planets.specs.map((s) => s.name),
        ]);
      } catch (err) {
        if (!(err instanceof InvalidConfigError)) throw err;
        for (const i of err.issues)
          ctx.addIssue({ code: 'custom', path: ['agents', ...i.path.split('.')], message: i.message });
      }
    }
  });

/** A validated configuration (defaults filled in; the gateway part before env overrides). */
export type OrreryConfig = z.output<typeof orreryConfigSchema>;
/** What a YAML file may contain. */
export type OrreryConfigInput = z.input<typeof orreryConfigSchema>;

/** The JSON Schema (draft 2020-12) of `orrery.yaml`, for editors and `orrery config schema`. */
export function orreryJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(orreryConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}
