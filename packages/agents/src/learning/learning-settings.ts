import { z } from 'zod';

/** The fields of {@link learningSettingsSchema}, to embed in a larger configuration object. */
export const learningSettingsShape = {
  minSamples: z
    .int()
    .min(1)
    .default(30)
    .describe(
      'Outcomes a planet (or regime) needs before its parameter may move from the prior. Default 30.',
    ),
  priorStrength: z
    .number()
    .min(0)
    .default(20)
    .describe(
      'Pseudo-observations at a 50 % rate added to every measured rate (0: no shrinkage). Default 20.',
    ),
  minSignal: z
    .number()
    .min(0)
    .max(1)
    .default(0.05)
    .describe(
      "A planet's call counts only when |signal| reaches this (0..1) and its confidence is above 0. Default 0.05.",
    ),
  weightFactor: z
    .strictObject({
      min: z.number().min(0).default(0.25).describe('Lowest factor. Default 0.25.'),
      max: z.number().gt(0).default(2).describe('Highest factor. Default 2.'),
    })
    .prefault({})
    .describe("A planet's learned weight stays within [min, max] × its configured weight."),
  riskMultiplier: z
    .strictObject({
      min: z.number().min(0).default(0.25).describe('Lowest multiplier. Default 0.25.'),
      max: z
        .number()
        .gt(0)
        .default(1)
        .describe('Highest multiplier (1: learning only ever reduces risk). Default 1.'),
    })
    .prefault({})
    .describe("A regime's learned risk multiplier stays within [min, max]."),
  minChange: z
    .number()
    .min(0)
    .default(0.01)
    .describe(
      'Changes of a learned parameter smaller than this are not made (no churn from noise). Default 0.01.',
    ),
};

/**
 * How the learning loop turns measured performance into parameters. Rates are shrunk towards 50 % by
 * `priorStrength` pseudo-observations; nothing moves before `minSamples` outcomes.
 */
export const learningSettingsSchema = z
  .strictObject(learningSettingsShape)
  .refine((s) => s.weightFactor.min <= s.weightFactor.max, {
    message: 'weightFactor.min must not exceed weightFactor.max',
    path: ['weightFactor'],
  })
  .refine((s) => s.riskMultiplier.min <= s.riskMultiplier.max, {
    message: 'riskMultiplier.min must not exceed riskMultiplier.max',
    path: ['riskMultiplier'],
  });

/** Learning settings with defaults filled. */
export type LearningSettings = z.output<typeof learningSettingsSchema>;
/** Learning settings as callers pass them. */
export type LearningSettingsInput = z.input<typeof learningSettingsSchema>;

/**
 * What came of one cycle once its horizon passed: the planets' calls, the price move they were about
 * and the position the decision chose. The learning loop's only input.
 */
export const outcomeEvidenceSchema = z.object({
  /** Unique per scope, e.g. `SPY@1700000000000`; recording the same key twice counts once. */
  key: z.string().min(1).max(200),
  symbol: z.string().min(1).max(64),
  /** The decision's bar time (epoch ms). */
  time: z.number().int(),
  /** The regime label of the bar (`up/normal`), when known. */
  regime: z.string().min(1).max(64).optional(),
  /** The price move over the horizon, as a fraction (0.01 = +1 %). */
  move: z.number().refine(Number.isFinite, 'must be finite'),
  /** The position the decision chose, fraction of equity (its return is `position × move`). */
  position: z.number().refine(Number.isFinite, 'must be finite').default(0),
  /** Every planet that reported on the bar. */
  planets: z
    .array(
      z.object({
        planet: z.string().min(1).max(64),
        signal: z.number().min(-1).max(1),
        confidence: z.number().min(0).max(1),
      }),
    )
    .default([]),
});

/** One outcome, as callers pass it. */
export type OutcomeEvidenceInput = z.input<typeof outcomeEvidenceSchema>;
/** One outcome, validated. */
export type OutcomeEvidence = z.output<typeof outcomeEvidenceSchema>;
