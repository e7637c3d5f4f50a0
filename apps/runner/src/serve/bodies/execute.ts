import { z } from 'zod';
import { chainIdSchema, labelSchema, modeSchema } from './common.ts';

const messageSchema = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

const featuresSchema = z.record(z.string().max(64), z.number().finite());

/**
 * The body of `POST /execute`: core's `LLMRequest` as JSON. `answerSchema` is a JSON Schema the answer
 * must match (then the answer is parsed into `parsed`); `chainId` charges the call to an open budget chain.
 * Unknown keys are refused (a typo must not silently drop a limit).
 */
export const executeBodySchema = z.strictObject({
  /** Task type: selects the routing rule and the trivial/judgment policy. */
  task: z.string().min(1).max(128),
  messages: z.array(messageSchema).min(1).max(256),
  /** JSON Schema of the answer (draft 2020-12, 7 or 4; see `AnswerSchemas`). */
  answerSchema: z.union([z.record(z.string(), z.unknown()), z.boolean()]).optional(),
  /** May use the budget's reserve and, after a 429, a fallback candidate. */
  critical: z.boolean().optional(),
  /** An open budget chain (`POST /chains`) the call is charged to. */
  chainId: chainIdSchema.optional(),
  /** Answer token cap. */
  maxTokens: z.int().min(1).max(1_000_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
  /** Per-call time limit, ms (at most 10 minutes). */
  timeoutMs: z.int().min(1).max(600_000).optional(),
  /** The mode of the cycle asking (counted in the mode mix, recorded in the ledger). */
  mode: modeSchema.optional(),
  /** Who asks (recorded in the ledger; default `http`). */
  agent: labelSchema.optional(),
  /** Pins provider and model (policy and cooldowns still apply). */
  target: z
    .strictObject({ provider: z.string().min(1).max(64), model: z.string().min(1).max(128) })
    .optional(),
  /** Cache the answer until `ttlMs` (ms) or a material change of `material.features`. */
  cache: z
    .strictObject({
      ttlMs: z.int().min(0).max(86_400_000),
      material: z.strictObject({ features: featuresSchema, thresholds: featuresSchema }).optional(),
    })
    .optional(),
  /** The current features, checked against cached entries' thresholds. */
  currentFeatures: featuresSchema.optional(),
});

/** A validated `POST /execute` body. */
export type ExecuteBody = z.output<typeof executeBodySchema>;
