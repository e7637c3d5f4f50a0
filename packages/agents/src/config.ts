import { z } from 'zod';
import { InvalidConfigError } from './errors.ts';
import { planetSpecSchema, specMoonIssues } from './planet-spec.ts';
import { isPlanetKind, PLANET_KINDS } from './planets/create-planet.ts';
import { routingNodeSchema } from './routing.ts';

/** Default thresholds of the material-change detector, in the units of `extractFeatures`. */
export const DEFAULT_CHANGE_THRESHOLDS: Readonly<Record<string, number>> = Object.freeze({
  price: 3,
  rsi: 15,
  macdHist: 0.5,
  percentB: 0.7,
  atrPct: 0.5,
  volatility: 6,
  drawdown: 3,
  var: 1,
  maSpread: 1.5,
  trend: 1,
  volLevel: 1,
});

/**
 * Default volatility-scaled thresholds (each the max with its absolute threshold): price, drawdown and
 * the MA spread in ATRs (1.5, 1.5, 0.75 ATR), the MACD histogram in quarter ATRs, the ATR and the realised
 * volatility by 20 % of their own level. On a calm index (ATR ≈ 1 %) the absolute thresholds rule; on
 * bitcoin (ATR ≈ 4–5 %) these keep ordinary bars from waking the planets.
 */
export const DEFAULT_SCALED_THRESHOLDS: Readonly<Record<string, { feature: string; factor: number }>> =
  Object.freeze({
    price: { feature: 'atrPct', factor: 1.5 },
    drawdown: { feature: 'atrPct', factor: 1.5 },
    maSpread: { feature: 'atrPct', factor: 0.75 },
    macdHist: { feature: 'atrPct', factor: 0.25 },
    atrPct: { feature: 'atrPct', factor: 0.2 },
    volatility: { feature: 'volatility', factor: 0.2 },
  });

const fraction = z.number().min(0).max(1);

const riskSchema = z
  .strictObject({
    maxPositionFraction: fraction
      .default(1)
      .describe(
        'Largest |target weight| in one symbol, fraction of equity (0..1; the sizing cap). Default 1.',
      ),
    maxLossFraction: z
      .number()
      .gt(0)
      .max(1)
      .default(0.02)
      .describe(
        'Largest loss one position may take at its stop, fraction of equity (only with `stops`). Default 0.02.',
      ),
    maxExposure: z
      .number()
      .min(0)
      .max(10)
      .default(1)
      .describe(
        'Largest gross exposure across all symbols, multiple of equity (the leverage cap): when the targets of one step add up to more, every weight is scaled down by the same factor. At most `broker.maxLeverage`. Default 1.',
      ),
    maxCorrelatedExposure: z
      .number()
      .gt(0)
      .max(10)
      .optional()
      .describe(
        'Largest gross exposure of positions that move together, multiple of equity: in a step of several symbols, targets of symbols whose returns correlate at `correlationThreshold` or more and point the same way count as one bet, scaled down so no group exceeds it. Default: no such limit.',
      ),
    correlationThreshold: z
      .number()
      .min(0)
      .max(1)
      .default(0.7)
      .describe(
        'Return correlation (0..1) from which two symbols count as one bet (with `maxCorrelatedExposure`). Default 0.7.',
      ),
    correlationSpan: z
      .int()
      .min(2)
      .max(10_000)
      .default(60)
      .describe('EWMA span, bars, of the return correlations the portfolio limit reads. Default 60.'),
    stopAtrMultiple: z
      .number()
      .gt(0)
      .default(3)
      .describe('Protective stops sit this many ATRs from the price (only with `stops`). Default 3.'),
    stops: z
      .boolean()
      .default(false)
      .describe(
        'ATR stops, the loss-at-stop limit and the close-on-unrealised-loss rule. Default false: with volatility targeting they turn noise into round trips.',
      ),
    allowShort: z
      .boolean()
      .default(false)
      .describe(
        'Short positions allowed (otherwise targets are clamped to ≥ 0); needs `broker.allowShort`. Default false.',
      ),
    volTarget: z
      .union([z.number().gt(0).max(5), z.literal('auto')])
      .default('auto')
      .describe(
        "Annualised volatility (fraction, e.g. 0.15) the sizing aims a full-conviction position at, or `auto`: the larger of `volTargetFloor` and the asset's own long-run volatility. Default `auto`.",
      ),
    volTargetFloor: z
      .number()
      .gt(0)
      .max(5)
      .default(0.15)
      .describe('With `volTarget: auto`, the annualised target is never below this. Default 0.15.'),
    volTargets: z
      .record(z.string(), z.number().gt(0).max(5))
      .default({})
      .describe('Annualised volatility targets by symbol (override `volTarget`). Default: none.'),
    sizing: z
      .enum(['volatility', 'kelly'])
      .default('volatility')
      .describe(
        "`volatility`: weight = forecast × σ_target / σ̂. `kelly`: fractional Kelly on the forecast's calibrated edge, weight = kellyFraction × μ̂ / σ̂². Default `volatility`.",
      ),
    kellyFraction: fraction
      .default(0.5)
      .describe('The fraction (0..1) of full Kelly with `sizing: kelly`. Default 0.5.'),
    rebalanceBand: fraction
      .default(0.2)
      .describe(
        'A held target is traded back to only when the position has drifted more than this fraction (0..1) of the target away from it (and at least `minTradeFraction`). Default 0.2.',
      ),
    minTradeFraction: fraction
      .default(0.01)
      .describe('Position changes smaller than this (fraction of equity) are holds. Default 0.01.'),
  })
  .describe('Position sizing and risk limits. Fractions of equity unless stated.');

const moonsSchema = z
  .strictObject({
    rsiPeriod: z.int().min(2).default(14).describe('RSI period of the closes, bars. Default 14.'),
    macd: z
      .strictObject({
        fast: z.int().min(1).default(12).describe('Fast EMA span, bars. Default 12.'),
        slow: z.int().min(2).default(26).describe('Slow EMA span, bars. Default 26.'),
        signal: z.int().min(1).default(9).describe('Signal-line EMA span, bars. Default 9.'),
      })
      .prefault({})
      .describe('MACD(fast, slow, signal) of the closes.'),
    bollinger: z
      .strictObject({
        period: z.int().min(2).default(20).describe('Moving-average window, bars. Default 20.'),
        k: z.number().gt(0).default(2).describe('Band width in (population) standard deviations. Default 2.'),
      })
      .prefault({})
      .describe('Bollinger bands of the closes.'),
    atrPeriod: z
      .int()
      .min(1)
      .default(14)
      .describe('Average true range period (Wilder smoothing), bars. Default 14.'),
    emaFast: z.int().min(1).default(20).describe('Span of the fast EMA of the closes, bars. Default 20.'),
    smaSlow: z.int().min(1).default(50).describe('Window of the slow SMA of the closes, bars. Default 50.'),
    volumeWindow: z.int().min(1).default(20).describe('Window of the volume SMA, bars. Default 20.'),
    volatilityWindow: z
      .int()
      .min(2)
      .default(20)
      .describe('Window of the realised volatility (sample σ of one-bar log returns), bars. Default 20.'),
    volatilityLongWindow: z
      .int()
      .min(1)
      .default(100)
      .describe(
        'Span, bars, of the exponential average that is the long-run ("normal") volatility level. Default 100.',
      ),
    periodsPerYear: z
      .number()
      .gt(0)
      .optional()
      .describe('Bars per year for annualising. Default: inferred from the bar times as they come.'),
    varWindow: z
      .int()
      .min(2)
      .default(250)
      .describe('Window of the historical value-at-risk, bars. Default 250.'),
    varConfidence: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.95)
      .describe(
        'Confidence of the value-at-risk (its loss is the 1 − confidence quantile of one-bar returns). Default 0.95.',
      ),
    regimeWindow: z
      .int()
      .min(2)
      .default(20)
      .describe("Window of the regime's efficiency ratio, bars. Default 20."),
    trendEfficiency: fraction
      .default(0.3)
      .describe(
        'Efficiency ratio (0..1) at or above which the regime is a trend (below: a range). Default 0.3.',
      ),
    lowVolRatio: z
      .number()
      .gt(0)
      .default(0.75)
      .describe('Volatility over its long-run level below which the regime is low-volatility. Default 0.75.'),
    highVolRatio: z
      .number()
      .gt(0)
      .default(1.5)
      .describe('Volatility over its long-run level above which the regime is high-volatility. Default 1.5.'),
    spikeTrMultiple: z
      .number()
      .gt(0)
      .default(3)
      .describe(
        'A bar whose true range exceeds this many times the previous ATR raises a volatility-spike alert. Default 3.',
      ),
    trendSpeeds: z
      .array(z.tuple([z.int().min(1), z.int().min(2)]))
      .min(1)
      .default([
        [16, 64],
        [32, 128],
        [64, 256],
      ])
      .describe(
        'EWMA crossover speeds `[fast, slow]` (spans in bars) of the trend forecast. Default [[16,64],[32,128],[64,256]].',
      ),
    volSpan: z
      .int()
      .min(2)
      .default(36)
      .describe(
        'Span, bars, of the exponentially weighted volatility the sizing (and the trend forecast) divides by. Default 36.',
      ),
    longVolSpan: z
      .int()
      .min(2)
      .default(500)
      .describe(
        "Span, bars, of the long-run volatility (`volTarget: auto`, the risk planet's baseline). Default 500.",
      ),
    drawdownWindow: z
      .int()
      .min(2)
      .default(252)
      .describe(
        'Bars of the rolling peak the drawdown is measured from (about a year of daily bars). Default 252.',
      ),
  })
  .describe('Settings of the moons (the indicators computed on every bar).');

const modeSchema = z
  .strictObject({
    minChangedForLight: z
      .int()
      .min(0)
      .optional()
      .describe('Changed features needed before the planets are consulted (LIGHT_REASONING). Default 1.'),
    fullAgentStakes: z
      .number()
      .min(0)
      .default(0.5)
      .describe(
        '|trade| (fraction of equity) from which the sun reasons (FULL_AGENT). Default 0.5 (positions run up to `risk.maxPositionFraction`).',
      ),
    fullAgentFragility: z
      .number()
      .min(0)
      .optional()
      .describe('Fragility at or above which the sun reasons. Default 0.7.'),
    lowConfidence: z
      .number()
      .min(0)
      .optional()
      .describe(
        'Consensus confidence below which, with at least `minChangedForFull` changes, the sun reasons. Default 0.3.',
      ),
    minChangedForFull: z
      .int()
      .min(0)
      .optional()
      .describe('Changed features that, with low confidence, call for the sun. Default 3.'),
    reserveFraction: fraction
      .optional()
      .describe(
        'Below this fraction (0..1) of the LLM budget left, the sun is not woken except for critical updates. Default 0.1.',
      ),
    force: z
      .enum(['LIGHT_REASONING'])
      .optional()
      .describe(
        '`LIGHT_REASONING`: every cycle asks the planets, whatever changed (no escalation to the sun, no monitor-only bars) — a baseline for measuring what mode selection and the answer cache save. Default: none (modes are selected).',
      ),
  })
  .describe(
    'Where each cycle escalates from MONITOR_ONLY to LIGHT_REASONING (planets) to FULL_AGENT (the sun).',
  );

/**
 * The whole configuration of a solar system. Every field has a default, so `{}` is a valid input.
 * Units: fractions of equity unless stated; times in milliseconds.
 */
export const solarSystemConfigSchema = z.strictObject({
  risk: riskSchema.prefault({}),
  moons: moonsSchema.prefault({}),
  materialChange: z
    .strictObject({
      thresholds: z
        .record(z.string(), z.number().gt(0))
        .default({ ...DEFAULT_CHANGE_THRESHOLDS })
        .describe(
          `Feature → absolute move since the last reasoned bar that counts as material (units of each feature: price %, RSI points, …). Default: ${JSON.stringify(DEFAULT_CHANGE_THRESHOLDS)}.`,
        ),
      scaled: z
        .record(
          z.string(),
          z.strictObject({
            feature: z
              .string()
              .min(1)
              .describe('The feature whose level (at the anchor bar) scales the threshold, e.g. `atrPct`.'),
            factor: z
              .number()
              .min(0)
              .describe('Threshold = factor × that level (the larger of it and the absolute one is used).'),
          }),
        )
        .default({ ...DEFAULT_SCALED_THRESHOLDS })
        .describe(
          "Feature → threshold that scales with another feature's level at the anchor (max with the absolute one). Default: price, drawdown 1.5 ATR; maSpread 0.75 ATR; macdHist 0.25 ATR; atrPct and volatility 20 % of their level.",
        ),
      warmupBars: z
        .int()
        .min(0)
        .default(35)
        .describe('Bars during which nothing counts as changed (indicators still filling). Default 35.'),
    })
    .prefault({})
    .describe(
      'What counts as a material change of the market: only then are the planets (and the sun) woken.',
    ),
  mode: modeSchema.prefault({}),
  critic: z
    .strictObject({
      minTradeFraction: fraction
        .default(0.1)
        .describe('|target − current| at or above this (fraction of equity). Default 0.1.'),
      minFragility: fraction.default(0.6).describe('Fragility at or above this (0..1). Default 0.6.'),
      belowConfidence: fraction
        .default(0.4)
        .describe("The decision's confidence below this (0..1). Default 0.4."),
    })
    .prefault({})
    .describe("The critic reviews the sun's decision when ANY of these lines is passed."),
  planets: z
    .strictObject({
      enabled: z
        .array(z.enum(PLANET_KINDS))
        .default([...PLANET_KINDS])
        .describe(`Which built-in planets run. Default: all (${PLANET_KINDS.join(', ')}).`),
      weights: z
        .record(z.string(), z.number().min(0))
        .default({ technical: 1, risk: 1, sentiment: 0.5, execution: 0.5 })
        .describe(
          'Vote weight by planet name (planets not listed weigh 1). Default: technical 1, risk 1, sentiment 0.5, execution 0.5.',
        ),
      quorum: z
        .int()
        .min(1)
        .optional()
        .describe(
          'Healthy members needed for a consensus. Default: a strict majority of the planets consulted.',
        ),
      entrySignal: fraction
        .default(0)
        .describe('Forecasts with |value| below this (0..1) count as 0 (a dead band). Default 0 (none).'),
      specs: z
        .array(planetSpecSchema)
        .max(32)
        .default([])
        .describe(
          'Planets built from declarative specs, consulted with the built-in ones as forecast planets: their rules are the deterministic analysis, their prompt the one LLM call. At most 32. Default: none.',
        ),
    })
    .superRefine((p, ctx) => {
      const seen = new Set<string>(PLANET_KINDS);
      p.specs.forEach((spec, i) => {
        if (seen.has(spec.name)) {
          const what = isPlanetKind(spec.name) ? 'a built-in planet' : 'another spec';
          ctx.addIssue({
            code: 'custom',
            path: ['specs', i, 'name'],
            message: `'${spec.name}' is already ${what}'s name`,
          });
        }
        seen.add(spec.name);
        for (const issue of specMoonIssues(spec))
          ctx.addIssue({ code: 'custom', path: ['specs', i, ...issue.path], message: issue.message });
      });
    })
    .prefault({})
    .describe('Which planets run and how their votes combine.'),
  execution: z
    .strictObject({
      minRelativeVolume: fraction
        .default(0.05)
        .describe(
          'Bars whose volume is below this fraction of the average volume are skipped (0 volume always is). Default 0.05.',
        ),
      maxParticipation: z
        .number()
        .gt(0)
        .max(1)
        .default(0.1)
        .describe(
          "Largest order as a fraction of the bar's volume; the rest waits for the next bars. Default 0.1.",
        ),
      limitRangeAtr: z
        .number()
        .gt(0)
        .default(2.5)
        .describe(
          'A bar wider than this many ATRs makes non-urgent trades limit orders at the close. Default 2.5.',
        ),
    })
    .prefault({})
    .describe('How the execution planet turns a target into orders (it never chooses the direction).'),
  transport: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('local').describe('`local`: every planet runs in-process.') }),
      z.strictObject({
        kind: z.literal('nats').describe('`nats`: planets are consulted through a NATS bus.'),
        url: z
          .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
          .describe('NATS server URL(s), e.g. `nats://10.0.0.5:4222`. Required.'),
        prefix: z
          .string()
          .min(1)
          .default('orrery')
          .describe('Subject prefix shared with the workers (`orrery planet --prefix`). Default `orrery`.'),
        planets: z
          .array(z.enum(PLANET_KINDS))
          .optional()
          .describe(
            'The planets consulted remotely (the others stay in-process). Default: every enabled built-in.',
          ),
        timeoutMs: z
          .int()
          .min(1)
          .default(2_000)
          .describe(
            'Time limit of one remote analysis, ms (below `planetTimeoutMs`): a planet whose workers are all gone is reported as timed out for the cycle, which goes on with the others. Default 2000.',
          ),
      }),
    ])
    .default({ kind: 'local' })
    .describe(
      'Where the planets run: `local` (in-process, default), or `nats` — the sun consults the listed planets through a NATS bus, each hosted by `orrery planet NAME --nats URL` workers elsewhere; workers of one planet share its load.',
    ),
  routing: z
    .union([routingNodeSchema, z.literal(false)])
    .optional()
    .describe(
      "The binary routing tree of the planets' query (leaves: planets or groups; inner nodes: a rule on the cycle's query — regime, news, volatility, features — sending it left, right or both). Planets off the route are not consulted and make no call; planets the tree does not name are always consulted. Default: sentiment only when there is news; `false`: every planet is consulted.",
    ),
  routingLlm: z
    .strictObject({
      enabled: z
        .boolean()
        .default(false)
        .describe('Let one LLM call choose the route in FULL_AGENT cycles. Default false.'),
      task: z
        .string()
        .min(1)
        .default('query_routing')
        .describe('Gateway task of that call. Default `query_routing`.'),
      maxTokens: z
        .int()
        .min(16)
        .max(4_000)
        .default(200)
        .describe('Answer token cap of that call, 16..4000. Default 200.'),
    })
    .prefault({})
    .describe(
      "In FULL_AGENT cycles only, one LLM call (through the cycle's permit and the gateway's budget) chooses left, right or both at the tree's inner nodes in place of their rules; a failed, refused or invalid answer leaves the rules' route. Off by default: the rules cost nothing.",
    ),
  planetTimeoutMs: z
    .int()
    .min(1)
    .default(10_000)
    .describe('A planet that has not reported after this long has failed for the cycle, ms. Default 10000.'),
  supervision: z
    .strictObject({
      maxRestarts: z
        .int()
        .min(0)
        .default(3)
        .describe(
          'Restarts of a failed child allowed within `windowMs` before it is given up on. Default 3.',
        ),
      windowMs: z
        .int()
        .min(1)
        .default(60_000)
        .describe('Window the restarts are counted in, ms (wall clock). Default 60000.'),
      onExhausted: z
        .enum(['stop', 'escalate'])
        .default('stop')
        .describe(
          "After `maxRestarts` within `windowMs`: `stop` that child and carry on, or `escalate` (stop the symbol's sun). Default `stop`.",
        ),
    })
    .prefault({})
    .describe('Restart policy of every child actor (moons and planets).'),
  memory: z
    .strictObject({
      horizonMs: z
        .int()
        .min(1)
        .default(5 * 86_400_000)
        .describe(
          'How long after a decision its outcome is measured, ms of market time. Default 432000000 (5 days).',
        ),
    })
    .prefault({})
    .describe('What reasoned cycles leave in episodic memory (when `memory` is on).'),
  cache: z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe('On for every task unless `tasks.<task>.enabled` says otherwise. Default true.'),
      ttlMs: z
        .int()
        .min(1)
        .default(30 * 86_400_000)
        .describe('How long an answer stays good, in market (bar) time, ms. Default 2592000000 (30 days).'),
      tasks: z
        .record(
          z.string().min(1),
          z.strictObject({
            enabled: z.boolean().optional().describe('This task cached or not. Default: `cache.enabled`.'),
            ttlMs: z
              .int()
              .min(1)
              .optional()
              .describe("This task's TTL in market time, ms. Default: `cache.ttlMs`."),
          }),
        )
        .default({})
        .describe(
          'Overrides by gateway task (`planet_analysis`, `summarise`, `sun_summary`, `fragility_card`…). Default: none.',
        ),
    })
    .prefault({})
    .describe(
      "The answer cache of what is expensive to think about: planet answers (per planet and symbol) and the sun's market summary and fragility card, reused while what they read has not moved past the material-change thresholds and the TTL (in market time) runs.",
    ),
  sun: z
    .strictObject({
      task: z
        .string()
        .min(1)
        .default('sun_reasoning')
        .describe("Gateway task of the sun's reasoning. Default `sun_reasoning`."),
      backupTask: z
        .string()
        .min(1)
        .default('sun_reasoning_backup')
        .describe(
          'Gateway task of the backup reasoning, tried when the sun fails (another model). Default `sun_reasoning_backup`.',
        ),
      criticTask: z
        .string()
        .min(1)
        .default('critic')
        .describe('Gateway task of the critic. Default `critic`.'),
      planetTask: z
        .string()
        .min(1)
        .default('planet_analysis')
        .describe(
          "Gateway task of the built-in planets' analyses (sentiment excepted). Default `planet_analysis`.",
        ),
      sentimentTask: z
        .string()
        .min(1)
        .default('summarise')
        .describe("Gateway task of the sentiment planet's call. Default `summarise`."),
      maxTurns: z
        .int()
        .min(1)
        .max(16)
        .default(4)
        .describe(
          'Reasoning turns (each one LLM call) before the sun gives up and falls back, 1..16. Default 4.',
        ),
      maxTokens: z
        .int()
        .min(16)
        .default(600)
        .describe('Answer token cap of each reasoning call. Default 600.'),
      maxTilt: z
        .number()
        .min(0)
        .max(2)
        .default(0.5)
        .describe(
          "How far (in forecast units, [−1, 1]) the sun's LLM may move the planets' forecast. Default 0.5.",
        ),
      recallK: z
        .int()
        .min(0)
        .default(3)
        .describe('Episodes recalled from memory in FULL_AGENT (0: none). Default 3.'),
    })
    .prefault({})
    .describe("The sun's gateway tasks and limits."),
});

/** A validated configuration with every default filled in. */
export type SolarSystemConfig = z.output<typeof solarSystemConfigSchema>;
/** What callers may pass: any subset of {@link SolarSystemConfig}. */
export type SolarSystemConfigInput = z.input<typeof solarSystemConfigSchema>;

/** Validates and fills defaults; throws {@link InvalidConfigError} listing every offending path. */
export function parseSolarSystemConfig(input: SolarSystemConfigInput | undefined = {}): SolarSystemConfig {
  const r = solarSystemConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({
    path: i.path.map(String).join('.') || '(root)',
    message: i.message,
  }));
  throw new InvalidConfigError(
    `invalid solar-system config: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    { issues, cause: r.error },
  );
}

/** The cache settings of `task` under `config.cache` (its `tasks.<task>` entry over the defaults). */
export function cacheSettingsFor(
  config: Pick<SolarSystemConfig, 'cache'>,
  task: string,
): { enabled: boolean; ttlMs: number } {
  const t = config.cache.tasks[task];
  return { enabled: t?.enabled ?? config.cache.enabled, ttlMs: t?.ttlMs ?? config.cache.ttlMs };
}
