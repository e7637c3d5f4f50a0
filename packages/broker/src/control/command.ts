import { z } from 'zod';

/** Who issued a command and why: recorded with it, shown by `status` and in the audit. */
const who = {
  /** The person (or system) issuing the command. */
  by: z
    .string({ error: 'must name who issues the command' })
    .trim()
    .min(1, 'must name who issues the command')
    .max(100),
  /** Why, in words. */
  reason: z.string().trim().max(2000).default(''),
};

const symbol = z.string({ error: 'must name a symbol' }).trim().min(1, 'must name a symbol').max(100);

/**
 * An operator command, as issued (CLI, HTTP). Every kind takes effect at the next cycle boundary of the
 * run (the next step the loop trades) and is recorded with who, when and why:
 *
 * - `pause` / `resume`: no new decision is traded while paused (the agents only keep their indicators
 *   current; no LLM call is made). Open protective stops stay.
 * - `flatten`: every position is closed at the next bar its symbol trades (market orders, stops cancelled).
 * - `block` / `unblock SYMBOL`: the agents' decisions in the symbol are not traded; the position is kept.
 * - `force SYMBOL target` / `unforce SYMBOL`: hold `target` (signed fraction of equity) in the symbol
 *   instead of what the agents decide, until unforced.
 * - `require-approval threshold|null`: decisions changing a position by more than `threshold` (fraction of
 *   equity) are parked as approvals; `null` turns the mode off (pending approvals stay until they expire).
 * - `approve` / `reject ID`: decide a parked approval. An approved decision is traded at the next boundary.
 */
export const controlCommandSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('pause'), ...who }),
  z.strictObject({ kind: z.literal('resume'), ...who }),
  z.strictObject({ kind: z.literal('flatten'), ...who }),
  z.strictObject({ kind: z.literal('block'), symbol, ...who }),
  z.strictObject({ kind: z.literal('unblock'), symbol, ...who }),
  z.strictObject({
    kind: z.literal('force'),
    symbol,
    /** Signed position to hold, fraction of equity (negative: short). */
    target: z.number().finite().min(-10).max(10),
    ...who,
  }),
  z.strictObject({ kind: z.literal('unforce'), symbol, ...who }),
  z.strictObject({
    kind: z.literal('require-approval'),
    /** |target − current| (fraction of equity) above which a decision waits for a person; null: off. */
    threshold: z.number().finite().min(0).max(10).nullable(),
    /** Bars (steps of the run) a parked decision waits before it expires. */
    expireBars: z.int().min(1).max(100_000).default(5),
    ...who,
  }),
  z.strictObject({ kind: z.literal('approve'), approval: z.string().trim().min(1), ...who }),
  z.strictObject({ kind: z.literal('reject'), approval: z.string().trim().min(1), ...who }),
]);

/** A command as issued (before defaults). */
export type ControlCommandInput = z.input<typeof controlCommandSchema>;
/** A validated command. */
export type ControlCommandBody = z.output<typeof controlCommandSchema>;
/** The kinds of command. */
export type ControlKind = ControlCommandBody['kind'];

/** What became of a recorded command. */
export type CommandStatus = 'pending' | 'applied' | 'void';

/** A command as recorded in the run's ledger. */
export type ControlCommand = ControlCommandBody & {
  /** Sequence number within the ledger (increasing). */
  id: number;
  runId: string;
  /** When it was issued, epoch ms (wall clock of the issuing process). */
  issuedAt: number;
  /** `pending` until the loop reaches a boundary; `void` when it could no longer apply (an expired approval). */
  status: CommandStatus;
  /** The bar time of the boundary it took effect at. */
  appliedTime?: number | undefined;
  /** What applying it did (or why it was void). */
  note?: string | undefined;
};
