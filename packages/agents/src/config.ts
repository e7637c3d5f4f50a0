import { z } from 'zod';
import { InvalidConfigError } from './errors.ts';
import { planetSpecSchema, specMoonIssues } from './planet-spec.ts';
import { routingNodeSchema } from './routing.ts';

const BUILT_IN_PLANETS = ['technical', 'risk', 'sentiment', 'execution'] as const;

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

const riskSchema = z.strictObject({
  /** Largest |target weight| in one symbol, as a fraction of equity (the sizing cap). */
  maxPositionFraction: fraction.default(1),
  /** Largest loss one position may take at its stop, as a fraction of equity (only with `stops`). */
  maxLossFraction: z.number().gt(0).max(1).default(0.02),
  /**
   * Largest gross exposure across all symbols, as a multiple of equity (the leverage cap): when the
   * targets of one step add up to more, every weight is scaled down by the same factor.
   */
  maxExposure: z.number().min(0).max(10).default(1),
  /**
   * Largest gross exposure of positions that move together, as a multiple of equity (absent: no such
   * limit). In a step of several symbols (`cycleMany`), the targets of symbols whose returns correlate at
   * `correlationThreshold` or more and point the same way count as one bet; a group above the cap is
   * scaled down so no group exceeds it.
   */
  maxCorrelatedExposure: z.number().gt(0).max(10).optional(),
  /** Return correlation from which two symbols count as one bet (with `maxCorrelatedExposure`). */
  correlationThreshold: z.number().min(0).max(1).default(0.7),
  /** EWMA span, in bars, of the return correlations the portfolio limit reads. */
  correlationSpan: z.int().min(2).max(10_000).default(60),
  /** Protective stops sit this many ATRs from the price (only with `stops`). */
  stopAtrMultiple: z.number().gt(0).default(3),
  /**
   * ATR stops, the loss-at-stop limit and the close-on-unrealised-loss rule. Off by default: with
   * volatility targeting they turn noise into round trips (see DESIGN.md, "Forecast and size").
   */
  stops: z.boolean().default(false),
  /** Short positions allowed (otherwise targets are clamped to ≥ 0). */
  allowShort: z.boolean().default(false),
  /**
   * Annualised volatility the sizing aims a full-conviction position at, or `auto`: the larger of
   * `volTargetFloor` and the asset's own long-run volatility (so bitcoin is not sized like an index).
   */
  volTarget: z.union([z.number().gt(0).max(5), z.literal('auto')]).default('auto'),
  /** With `volTarget: auto`, the target is never below this. */
  volTargetFloor: z.number().gt(0).max(5).default(0.15),
  /** Per-symbol volatility targets (override `volTarget`). */
  volTargets: z.record(z.string(), z.number().gt(0).max(5)).default({}),
  /**
   * `volatility`: weight = forecast × σ_target / σ̂. `kelly`: fractional Kelly on the forecast's
   * calibrated edge, weight = kellyFraction × μ̂ / σ̂² (μ̂ from the forecast's measured predictive power).
   */
  sizing: z.enum(['volatility', 'kelly']).default('volatility'),
  /** The fraction of full Kelly with `sizing: kelly`. */
  kellyFraction: fraction.default(0.5),
  /**
   * A held target is traded back to only when the position has drifted more than this fraction of the
   * target away from it (and at least `minTradeFraction`).
   */
  rebalanceBand: fraction.default(0.2),
  /** Position changes smaller than this (fraction of equity) are holds. */
  minTradeFraction: fraction.default(0.01),
});

const moonsSchema = z.strictObject({
  rsiPeriod: z.int().min(2).default(14),
  macd: z
    .strictObject({
      fast: z.int().min(1).default(12),
      slow: z.int().min(2).default(26),
      signal: z.int().min(1).default(9),
    })
    .prefault({}),
  bollinger: z
    .strictObject({ period: z.int().min(2).default(20), k: z.number().gt(0).default(2) })
    .prefault({}),
  atrPeriod: z.int().min(1).default(14),
  emaFast: z.int().min(1).default(20),
  smaSlow: z.int().min(1).default(50),
  volumeWindow: z.int().min(1).default(20),
  volatilityWindow: z.int().min(2).default(20),
  volatilityLongWindow: z.int().min(1).default(100),
  /** Bars per year for annualising; absent: inferred from the bar times as they come. */
  periodsPerYear: z.number().gt(0).optional(),
  varWindow: z.int().min(2).default(250),
  varConfidence: z.number().gt(0).lt(1).default(0.95),
  regimeWindow: z.int().min(2).default(20),
  trendEfficiency: fraction.default(0.3),
  lowVolRatio: z.number().gt(0).default(0.75),
  highVolRatio: z.number().gt(0).default(1.5),
  spikeTrMultiple: z.number().gt(0).default(3),
  /** EWMA crossover speeds (fast, slow spans in bars) of the trend forecast. */
  trendSpeeds: z
    .array(z.tuple([z.int().min(1), z.int().min(2)]))
    .min(1)
    .default([
      [16, 64],
      [32, 128],
      [64, 256],
    ]),
  /** Span (bars) of the exponentially weighted volatility the sizing divides by. */
  volSpan: z.int().min(2).default(36),
  /** Span (bars) of the long-run volatility (`volTarget: auto`, the risk planet's baseline). */
  longVolSpan: z.int().min(2).default(500),
  /** Bars of the rolling peak the drawdown is measured from (about a year of daily bars). */
  drawdownWindow: z.int().min(2).default(252),
});

const modeSchema = z.strictObject({
  minChangedForLight: z.int().min(0).optional(),
  /** |trade| (fraction of equity) from which the sun reasons; default 0.5 (positions run up to `maxPositionFraction`). */
  fullAgentStakes: z.number().min(0).default(0.5),
  fullAgentFragility: z.number().min(0).optional(),
  lowConfidence: z.number().min(0).optional(),
  minChangedForFull: z.int().min(0).optional(),
  reserveFraction: fraction.optional(),
  /**
   * `LIGHT_REASONING`: every cycle asks the planets, whatever changed (no escalation to the sun, no
   * monitor-only bars) — a baseline for measuring what mode selection and the answer cache save.
   */
  force: z.enum(['LIGHT_REASONING']).optional(),
});

/**
 * The whole configuration of a solar system. Every field has a default, so `{}` is a valid input.
 * Units: fractions of equity unless stated; times in milliseconds.
 */
export const solarSystemConfigSchema = z.strictObject({
  risk: riskSchema.prefault({}),
  moons: moonsSchema.prefault({}),
  materialChange: z
    .strictObject({
      /** Feature → absolute move that counts as material (see `extractFeatures` for units). */
      thresholds: z.record(z.string(), z.number().gt(0)).default({ ...DEFAULT_CHANGE_THRESHOLDS }),
      /** Feature → threshold that scales with another feature's level at the anchor (max with the absolute one). */
      scaled: z
        .record(z.string(), z.strictObject({ feature: z.string().min(1), factor: z.number().min(0) }))
        .default({ ...DEFAULT_SCALED_THRESHOLDS }),
      /** Bars during which nothing counts as changed (indicators still filling). */
      warmupBars: z.int().min(0).default(35),
    })
    .prefault({}),
  /** Overrides of core's `DEFAULT_MODE_THRESHOLDS`. */
  mode: modeSchema.prefault({}),
  /** The critic runs when ANY of these lines is passed. */
  critic: z
    .strictObject({
      /** |target − current| at or above this (fraction of equity). */
      minTradeFraction: fraction.default(0.1),
      /** Fragility at or above this. */
      minFragility: fraction.default(0.6),
      /** The decision's confidence below this. */
      belowConfidence: fraction.default(0.4),
    })
    .prefault({}),
  planets: z
    .strictObject({
      /** Which built-in planets run. */
      enabled: z.array(z.enum(BUILT_IN_PLANETS)).default([...BUILT_IN_PLANETS]),
      /** Vote weight per planet name (planets not listed weigh 1). */
      weights: z
        .record(z.string(), z.number().min(0))
        .default({ technical: 1, risk: 1, sentiment: 0.5, execution: 0.5 }),
      /** Healthy members needed for a consensus; default a strict majority of the planets consulted. */
      quorum: z.int().min(1).optional(),
      /** Forecasts with |value| below this count as 0 (a dead band; 0: none). */
      entrySignal: fraction.default(0),
      /**
       * Planets built from declarative specs (`planetFromSpec`), consulted with the built-in ones as
       * forecast planets: their rules are the deterministic analysis, their prompt the one LLM call.
       */
      specs: z.array(planetSpecSchema).max(32).default([]),
    })
    .superRefine((p, ctx) => {
      const seen = new Set<string>(BUILT_IN_PLANETS);
      p.specs.forEach((spec, i) => {
        if (seen.has(spec.name)) {
          const what = (BUILT_IN_PLANETS as readonly string[]).includes(spec.name)
            ? 'a built-in planet'
            : 'another spec';
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
    .prefault({}),
  /** How the execution planet turns a target into orders (it never chooses the direction). */
  execution: z
    .strictObject({
      /** Bars whose volume is below this fraction of the average volume are skipped (0 volume always is). */
      minRelativeVolume: fraction.default(0.05),
      /** Largest order as a fraction of the bar's volume; the rest waits for the next bars. */
      maxParticipation: z.number().gt(0).max(1).default(0.1),
      /** A bar wider than this many ATRs makes non-urgent trades limit orders at the close. */
      limitRangeAtr: z.number().gt(0).default(2.5),
    })
    .prefault({}),
  /**
   * Where the planets run (read by the runner that assembles the system): `local` (in-process, default),
   * or `nats` — the sun consults the listed planets (default: every enabled built-in) through a NATS bus,
   * each hosted by `orrery planet NAME --nats URL` workers elsewhere; workers of one planet share its load.
   */
  transport: z
    .discriminatedUnion('kind', [
      z.strictObject({ kind: z.literal('local') }),
      z.strictObject({
        kind: z.literal('nats'),
        /** NATS server URL(s), e.g. `nats://10.0.0.5:4222`. */
        url: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
        /** Subject prefix shared with the workers (`orrery planet --prefix`). */
        prefix: z.string().min(1).default('orrery'),
        /** The planets consulted remotely (the others stay in-process). Absent: every enabled built-in. */
        planets: z.array(z.enum(['technical', 'risk', 'sentiment', 'execution'])).optional(),
        /**
         * Time limit of one remote analysis (ms, below `planetTimeoutMs`): a planet whose workers are
         * all gone is reported as timed out for the cycle, which goes on with the others.
         */
        timeoutMs: z.int().min(1).default(2_000),
      }),
    ])
    .default({ kind: 'local' }),
  /**
   * The binary routing tree of the planets' query (leaves: planets or groups of planets; inner nodes: a
   * rule on the cycle's query — regime, news, volatility, features — sending it left, right or both).
   * Planets off the route are not consulted and make no call; planets the tree does not name (risk,
   * execution) are always consulted. Absent: `DEFAULT_ROUTING` (sentiment only when there is news), pruned
   * to the planets that run; `false`: every planet is consulted.
   */
  routing: z.union([routingNodeSchema, z.literal(false)]).optional(),
  /**
   * In `FULL_AGENT` cycles only, one LLM call (task `task`, through the cycle's own permit and the
   * gateway's budget) chooses left, right or both at the tree's inner nodes, in place of their rules. A
   * failed, refused or invalid answer leaves the rules' route (said in the cycle's faults); nodes the
   * answer does not name keep their rule. Off by default: the rules cost nothing.
   */
  routingLlm: z
    .strictObject({
      enabled: z.boolean().default(false),
      task: z.string().min(1).default('query_routing'),
      maxTokens: z.int().min(16).max(4_000).default(200),
    })
    .prefault({}),
  /** A planet that has not reported after this long has failed for the cycle. */
  planetTimeoutMs: z.int().min(1).default(10_000),
  /** Restart policy of every child actor (moons and planets). */
  supervision: z
    .strictObject({
      maxRestarts: z.int().min(0).default(3),
      windowMs: z.int().min(1).default(60_000),
      /** After `maxRestarts` within `windowMs`: stop that child and carry on, or stop the symbol's sun. */
      onExhausted: z.enum(['stop', 'escalate']).default('stop'),
    })
    .prefault({}),
  /** What reasoned cycles leave in memory (when a memory is given). */
  memory: z
    .strictObject({
      /** How long after a decision its outcome is measured, in ms (default 5 days). */
      horizonMs: z
        .int()
        .min(1)
        .default(5 * 86_400_000),
    })
    .prefault({}),
  /**
   * The answer cache of what is expensive to think about: planet answers (per planet and symbol) and
   * the sun's market summary and fragility card, reused while what they read has not moved past the
   * material-change thresholds and the TTL (in market time) runs. Per task: `tasks.<task>` overrides.
   */
  cache: z
    .strictObject({
      /** On for every task unless `tasks.<task>.enabled` says otherwise. */
      enabled: z.boolean().default(true),
      /** How long an answer stays good, in market (bar) time, ms (default 30 days). */
      ttlMs: z
        .int()
        .min(1)
        .default(30 * 86_400_000),
      /** Per gateway task (`planet_analysis`, `summarise`, `sun_summary`, `fragility_card`…). */
      tasks: z
        .record(
          z.string().min(1),
          z.strictObject({ enabled: z.boolean().optional(), ttlMs: z.int().min(1).optional() }),
        )
        .default({}),
    })
    .prefault({}),
  /** Gateway tasks and the sun's limits. */
  sun: z
    .strictObject({
      task: z.string().min(1).default('sun_reasoning'),
      backupTask: z.string().min(1).default('sun_reasoning_backup'),
      criticTask: z.string().min(1).default('critic'),
      planetTask: z.string().min(1).default('planet_analysis'),
      sentimentTask: z.string().min(1).default('summarise'),
      /** Reasoning turns (each one LLM call) before the sun gives up and falls back. */
      maxTurns: z.int().min(1).max(16).default(4),
      maxTokens: z.int().min(16).default(600),
      /** How far (in forecast units, [−1, 1]) the sun's LLM may move the planets' forecast. */
      maxTilt: z.number().min(0).max(2).default(0.5),
      /** Episodes recalled from memory in FULL_AGENT. */
      recallK: z.int().min(0).default(3),
    })
    .prefault({}),
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
