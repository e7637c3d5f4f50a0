import {
  compileRouting,
  InvalidConfigError,
  learningSettingsShape,
  promptEvolutionSettingsSchema,
  solarSystemConfigSchema,
} from '@orrery/agents';
import { delegationConfigSchema, gatewayConfigSchema } from '@orrery/core';
import { BAR_FIELDS, DEFAULT_NEWS_LOOKBACK_MS, DEFAULT_NEWS_MAX_ITEMS } from '@orrery/feeds';
import { memoryConfigSchema } from '@orrery/memory';
import { z } from 'zod';

const columnsSchema = z
  .strictObject({
    ...Object.fromEntries(
      BAR_FIELDS.map((f) => [
        f,
        z
          .string()
          .min(1)
          .optional()
          .describe(
            `Header name (or \`#N\` for the N-th column) of the bar's \`${f}\`. Default: detected from the header.`,
          ),
      ]),
    ),
    timeFormat: z
      .string()
      .min(2)
      .optional()
      .describe('strftime-like format of the time column (e.g. `%m/%d/%Y`). Default: detected.'),
  })
  .describe(
    'CSV header name per bar field (`#N` for the N-th column); fields left out are detected from the header',
  ) as z.ZodType<Partial<Record<(typeof BAR_FIELDS)[number], string>> & { timeFormat?: string }>;

/** One market data source: a bundled dataset name (`spy`, `btc`, `btc-hourly`) or a CSV file. */
export const dataSourceSchema = z
  .strictObject({
    source: z
      .string()
      .min(1)
      .describe(
        '`spy` | `btc` | `btc-hourly` (bundled datasets) | a path to a CSV file (relative to the config file). Required.',
      ),
    symbol: z
      .string()
      .min(1)
      .optional()
      .describe("Symbol the bars are for. Default: the bundled dataset's, or the file name."),
    columns: columnsSchema.optional(),
    lastBarPartial: z
      .boolean()
      .optional()
      .describe('The last row was taken before its bar closed: drop it. Default false.'),
    dropZeroVolume: z
      .boolean()
      .optional()
      .describe('Drop zero-volume bars instead of keeping and counting them. Default false.'),
    symbols: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        'A multi-asset ("wide") file: the symbols to read, one series each (columns like `BTC:close`). Default: a one-symbol file.',
      ),
    columnPattern: z
      .string()
      .includes('{symbol}')
      .includes('{field}')
      .optional()
      .describe(
        "A wide file's column names, with `{symbol}` and `{field}`. Default: `{symbol}:{field}` and a few common layouts.",
      ),
    maxBadRowFraction: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .describe('Fraction of rows (0..1) that may be bad before the file is refused. Default 0.2.'),
    outliers: z
      .enum(['drop', 'keep'])
      .optional()
      .describe(
        'Outliers (absurd prices, spikes that come straight back): `drop` or `keep`; always reported. Default `drop`.',
      ),
    outlierJumpMultiple: z
      .number()
      .min(2)
      .optional()
      .describe(
        'Jump threshold of an outlier, as a multiple (≥ 2) of the recent mean absolute log return. Default 10.',
      ),
  })
  .describe('One market data source: a bundled dataset or a CSV file.');

/** The paper account: costs and limits. */
export const brokerConfigSchema = z
  .strictObject({
    initialCash: z
      .number()
      .positive()
      .default(100_000)
      .describe('Starting cash, quote currency. Default 100000.'),
    feeBps: z
      .number()
      .min(0)
      .lt(1000)
      .default(10)
      .describe('Fee per fill, basis points of notional, charged on buys and sells. Default 10.'),
    slippageBps: z
      .number()
      .min(0)
      .lt(1000)
      .default(5)
      .describe('Slippage against the trader, basis points of the fill price. Default 5.'),
    slippageRangeFraction: z
      .number()
      .min(0)
      .max(1)
      .default(0)
      .describe("Extra slippage as a fraction (0..1) of the fill bar's high − low. Default 0."),
    allowShort: z
      .boolean()
      .default(false)
      .describe('Positions may go short (must be true when `agents.risk.allowShort` is). Default false.'),
    maxLeverage: z
      .number()
      .positive()
      .max(10)
      .default(1)
      .describe(
        'Gross exposure limit, multiple of equity (above 1 is margin; at least `agents.risk.maxExposure`). Default 1.',
      ),
    lotSize: z
      .number()
      .min(0)
      .default(0)
      .describe('Quantities are rounded down to a multiple of this; 0 = any fraction. Default 0.'),
  })
  .describe('The paper account: costs and limits.');

/** A news file for the sentiment planet (see `feeds/news-file.ts` for its layouts). */
export const newsConfigSchema = z
  .strictObject({
    file: z
      .string()
      .min(1)
      .describe(
        'JSONL or CSV (`time,symbol,text`) file of dated texts (relative to the config file). Required.',
      ),
    lookbackMs: z
      .number()
      .int()
      .positive()
      .default(DEFAULT_NEWS_LOOKBACK_MS)
      .describe(
        `How far back from a bar's time items are still shown, ms. Default ${DEFAULT_NEWS_LOOKBACK_MS} (one day).`,
      ),
    maxItems: z
      .number()
      .int()
      .min(1)
      .max(200)
      .default(DEFAULT_NEWS_MAX_ITEMS)
      .describe(`Most items shown per cycle (the newest), 1..200. Default ${DEFAULT_NEWS_MAX_ITEMS}.`),
  })
  .describe(
    "News for the sentiment planet: each cycle reads the items of its symbol (or of no symbol) stamped at or before the bar's time and within `lookbackMs` of it. Default: none (sentiment abstains).",
  );

const dateSchema = z
  .string()
  .regex(/^\d{4}[-/]\d{2}[-/]\d{2}([T ]\d{2}:\d{2}(:\d{2})?Z?)?$/, 'must be a date like 2015-01-31 (UTC)');

/** Where runs read and write. Relative paths resolve against the config file's folder (or the cwd). */
export const runConfigSchema = z
  .strictObject({
    data: z
      .union([
        z
          .string()
          .min(1)
          .transform((source) => [{ source }]),
        z.array(dataSourceSchema).min(1),
      ])
      .default([{ source: 'spy' }])
      .describe(
        'Data for `orrery paper`: one source (a string) or several (traded together, one account). Default `spy`.',
      ),
    from: dateSchema
      .optional()
      .describe('First bar used, a UTC date like `2015-01-31` (inclusive). Default: the first of the data.'),
    to: dateSchema
      .optional()
      .describe('Last bar used, a UTC date (inclusive). Default: the last of the data.'),
    ledgerPath: z
      .string()
      .min(1)
      .default('.orrery/ledger.db')
      .describe('The paper ledger (SQLite). Default `.orrery/ledger.db`.'),
    dbBusyTimeoutMs: z
      .number()
      .int()
      .min(0)
      .max(600_000)
      .default(30_000)
      .describe(
        'How long a write to the run ledger waits for a lock held by another process before the run stops with `ORRERY_DB_BUSY`, ms. Default 30000.',
      ),
    gatewayDbPath: z
      .string()
      .min(1)
      .default('.orrery/gateway.db')
      .describe(
        "The gateway's SQLite file (cooldowns, budget, cache, call ledger). Default `.orrery/gateway.db`.",
      ),
    reportPath: z
      .string()
      .min(1)
      .default('.orrery/reports/{runId}.html')
      .describe('The HTML report; `{runId}` is replaced. Default `.orrery/reports/{runId}.html`.'),
    news: newsConfigSchema.optional(),
    counterfactual: z
      .boolean()
      .default(true)
      .describe(
        "`orrery paper`: after the run, trade the same bars with the same agents and no LLM (the counterfactual behind the LLM ROI: about another loop's time without LLM calls); `false` skips it and the LLM ROI. Default true.",
      ),
    live: z
      .strictObject({
        exchange: z.string().min(1).default('binance').describe('ccxt exchange id. Default `binance`.'),
        symbol: z
          .string()
          .min(1)
          .default('BTC/USDT')
          .describe('Market symbol as the exchange names it. Default `BTC/USDT`.'),
        timeframe: z
          .string()
          .regex(/^\d+[smhdw]$/, 'must be a ccxt timeframe like 1m, 1h or 1d')
          .default('1h')
          .describe('Bar length as a ccxt timeframe (`1m`, `1h`, `1d`…). Default `1h`.'),
        warmupBars: z
          .number()
          .int()
          .min(0)
          .max(5000)
          .default(100)
          .describe('Closed bars fetched before now to warm the indicators, 0..5000. Default 100.'),
        pollMs: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('Wait between polls when no bar has closed, ms. Default: the timeframe, at most 60000.'),
        retryBaseMs: z
          .number()
          .int()
          .positive()
          .default(5_000)
          .describe(
            'First wait after a network failure, ms; doubles per failure up to `retryMaxMs`. Default 5000.',
          ),
        retryMaxMs: z
          .number()
          .int()
          .positive()
          .max(3_600_000)
          .default(60_000)
          .describe('Longest wait between attempts while the exchange is unreachable, ms. Default 60000.'),
      })
      .prefault({})
      .describe('`orrery run`: the live feed (public exchange data through ccxt).'),
    intrabar: z
      .strictObject({
        enabled: z
          .boolean()
          .default(false)
          .describe(
            'Poll the forming bar between bar closes; a critical moon update on it (stop crossed, volatility spike) wakes the sun for an unscheduled cycle whose orders fill at once at the last price. Default false.',
          ),
        pollMs: z
          .number()
          .int()
          .positive()
          .default(5_000)
          .describe('Wait between polls of the forming bar, ms. Default 5000.'),
        maxWakesPerBar: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(1)
          .describe('Unscheduled cycles per symbol and bar at most, 1..100. Default 1.'),
      })
      .prefault({})
      .describe(
        '`orrery run` only: unscheduled cycles between bar closes (`orrery paper` has no intrabar data and never wakes).',
      ),
  })
  .describe(
    "Where runs read and write. Relative paths resolve against the config file's folder (or the cwd).",
  );

/**
 * The outcome-driven learning loop (planet weights, regime playbook). Each run learns on its own from
 * the configured priors (a backtest never learns from its own future); `false` turns it off.
 */
export const learningConfigSchema = z
  .union([
    z.literal(false),
    z.strictObject({
      dbPath: z
        .string()
        .min(1)
        .default('.orrery/learning.db')
        .describe(
          'Where learned parameters and every change with its evidence are kept (SQLite). Default `.orrery/learning.db`.',
        ),
      ...learningSettingsShape,
      prompts: z
        .record(
          z.string().min(1),
          z
            .array(
              z.strictObject({
                id: z
                  .string()
                  .min(1)
                  .max(64)
                  .describe('The variant id (1-64 characters), kept with its outcomes.'),
                text: z
                  .string()
                  .describe('Text added to the prompt for this variant (empty for the control).'),
              }),
            )
            .min(2),
        )
        .default({})
        .describe(
          "Prompt A/B experiments: variants (at least 2) per prompt id (the sun reads `sun.system`), the first being the control; each variant's text is added to the prompt. Each run experiments on its own. Default: none.",
        ),
      promptTest: promptEvolutionSettingsSchema.prefault({}),
    }),
  ])
  .describe(
    'The outcome-driven learning loop (planet weights, regime playbook). Each run learns on its own from the configured priors (a backtest never learns from its own future); `false` turns it off.',
  );

/**
 * The whole `orrery.yaml`: each package's own schema under its section, plus the runner's `broker` and
 * `run`. Every field has a default, so an empty file (or none) is valid. `memory: false` runs without
 * episodic memory.
 */
export const orreryConfigSchema = z
  .object({
    gateway: gatewayConfigSchema
      .prefault({})
      .describe(
        'The LLM gateway: providers, prices, routing of each task, budget, cooldowns, breaker, cache.',
      ),
    agents: solarSystemConfigSchema
      .prefault({})
      .describe(
        'The solar system: moons (indicators), planets (analysts), the sun (decisions), risk and sizing.',
      ),
    memory: z
      .union([z.literal(false), memoryConfigSchema])
      .prefault({ dbPath: '.orrery/memory/{runId}/episodes.db' })
      .describe(
        "Episodic memory (SQLite + a Chroma similarity index); `false` runs without it. `{runId}` in `dbPath` (and the Chroma folder derived from it) is replaced by the run's id: each run remembers only its own decisions, so a replay can never recall outcomes from its future. Default `dbPath: .orrery/memory/{runId}/episodes.db`.",
      ),
    broker: brokerConfigSchema.prefault({}),
    run: runConfigSchema.prefault({}),
    learning: learningConfigSchema.prefault({}),
    delegation: delegationConfigSchema
      .prefault({})
      .describe(
        "Task types for `orrery delegate` (their models are the gateway's routing rules of the same name).",
      ),
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
