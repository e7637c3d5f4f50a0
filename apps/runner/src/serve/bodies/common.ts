import { z } from 'zod';

/** The id of a budget chain, as `POST /chains` returns it. */
export const chainIdSchema = z.string().min(1).max(128);

/** An execution mode name. */
export const modeSchema = z.enum(['MONITOR_ONLY', 'LIGHT_REASONING', 'FULL_AGENT']);

/** A short label (agent, chain name) that goes into the ledger: one token of `[A-Za-z0-9_.:-]`, ≤ 64. */
export const labelSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . : -');
