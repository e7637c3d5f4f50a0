import { z } from 'zod';
import { chainIdSchema, labelSchema } from './common.ts';

/** The body of `POST /chains`: a budget for a delegation chain (a root, or a child of `parent`). */
export const openChainBodySchema = z.strictObject({
  /** Tokens (in + out) every call charged to the chain may use together. */
  maxTokens: z.int().min(1).max(1e12),
  /** USD they may spend together (unlimited when omitted). */
  maxCostUsd: z.number().finite().min(0).max(1e9).optional(),
  /** Shown in errors and logs (default `http`). */
  name: labelSchema.optional(),
  /**
   * Opens the chain as a child of this open chain (A → B → C): its cap holds inside the parent's. With a
   * virtual key the parent must be the key's chain or one under it, and defaults to the key's chain.
   */
  parent: chainIdSchema.optional(),
});

/** A validated `POST /chains` body. */
export type OpenChainBody = z.output<typeof openChainBodySchema>;
