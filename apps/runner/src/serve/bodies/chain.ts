import { z } from 'zod';
import { labelSchema } from './common.ts';

/** The body of `POST /chains`: a root budget for a delegation chain. */
export const openChainBodySchema = z.strictObject({
  /** Tokens (in + out) every call charged to the chain may use together. */
  maxTokens: z.int().min(1).max(1e12),
  /** USD they may spend together (unlimited when omitted). */
  maxCostUsd: z.number().finite().min(0).max(1e9).optional(),
  /** Shown in errors and logs (default `http`). */
  name: labelSchema.optional(),
});

/** A validated `POST /chains` body. */
export type OpenChainBody = z.output<typeof openChainBodySchema>;
