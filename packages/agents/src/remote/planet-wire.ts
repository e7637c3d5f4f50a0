import { z } from 'zod';

/** The request topics a planet hosted on a bus answers (`orrery planet NAME --nats …`, `orrery serve`). */
export const PlanetTopic = {
  /**
   * Body: an analyze body (`bars` or `snapshot`; a `chainId` only where the host was given budget
   * chains). Reply: a {@link PlanetAnalysis}.
   */
  ANALYZE: 'analyze',
  /** No body. Reply: `{ planet, weight, moons, topics }`. */
  DESCRIBE: 'describe',
} as const;

/**
 * A planet's report as JSON (agents' `PlanetReport`): what `POST /planets/:name/analyze` and a planet on
 * the bus answer inside {@link planetAnalysisSchema}. Clients validate replies with it.
 */
export const planetReportSchema = z.object({
  planet: z.string(),
  status: z.enum(['ok', 'failed', 'timeout', 'stopped']),
  /** `llm` when the signal comes from the model, `deterministic` otherwise. */
  source: z.enum(['deterministic', 'llm']),
  weight: z.number().min(0),
  /** The planet's job: only `forecast` planets vote on direction (absent: `forecast`). */
  role: z.enum(['forecast', 'risk', 'execution']).optional(),
  /** −1 (strong sell) … +1 (strong buy). */
  signal: z.number().min(-1).max(1),
  /** 0 (abstains) … 1. */
  confidence: z.number().min(0).max(1),
  reasons: z.array(z.string()),
  data: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])).optional(),
  llm: z
    .object({
      outcome: z.enum(['answered', 'refused', 'failed', 'invalid', 'skipped']),
      detail: z.string().optional(),
      code: z.string().optional(),
      provider: z.string().optional(),
      model: z.string().optional(),
    })
    .optional(),
  error: z.string().optional(),
});

/** The answer of one planet analysis: which bar was analysed, in which mode, and the planet's report. */
export const planetAnalysisSchema = z.object({
  symbol: z.string(),
  /** The analysed bar's open time, epoch ms. */
  barTime: z.number(),
  /** Bars the moons had seen, the analysed one included. */
  barsSeen: z.int(),
  mode: z.enum(['MONITOR_ONLY', 'LIGHT_REASONING']),
  report: planetReportSchema,
});

/** A planet analysis as JSON. */
export type PlanetAnalysis = z.output<typeof planetAnalysisSchema>;
