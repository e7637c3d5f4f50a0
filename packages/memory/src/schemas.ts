import { ExecutionMode } from '@orrery/core';
import { z } from 'zod';
import { MemoryValidationError, NonFiniteFeatureError } from './errors.ts';

/** Most features a situation vector may carry. */
export const MAX_DIMENSION = 4096;

/**
 * What the moons saw when a decision was taken: `vector` is the numeric feature vector (compared by
 * cosine, so scale features comparably, e.g. as z-scores), `fields` are named values kept for people
 * and prompts (`{ rsi: 71, trend: 'up' }`), never compared.
 */
export const situationSchema = z.object({
  vector: z.array(z.number()).min(1).max(MAX_DIMENSION),
  // -0 is stored as 0 (fields are JSON in SQLite, and JSON has no negative zero): normalised here so
  // what record() returns is exactly what is read back.
  fields: z
    .record(
      z.string().min(1).max(64),
      z.union([z.number().transform((v) => (v === 0 ? 0 : v)), z.string().max(256)]),
    )
    .default({}),
});

/** A situation as stored and recalled. */
export type Situation = z.output<typeof situationSchema>;
/** A situation as callers pass it (`fields` optional). */
export type SituationInput = z.input<typeof situationSchema>;

/** The usual decision kinds; any other non-empty string (≤ 64 chars) is accepted too. */
export const DECISIONS = ['buy', 'sell', 'hold', 'flatten'] as const;

/** A decision to remember. Times are epoch milliseconds. */
export const episodeInputSchema = z.object({
  /** Unique id; a random UUID when absent. */
  id: z.string().min(1).max(200).optional(),
  /** When the decision was taken (epoch ms). */
  time: z.number().int().nonnegative(),
  symbol: z.string().min(1).max(64),
  situation: situationSchema,
  /** The regime the regime moon reported (`trend_up`, `range`…). */
  regime: z.string().min(1).max(64),
  mode: z.enum(ExecutionMode),
  /** `buy`, `sell`, `hold`, `flatten` or another kind. */
  decision: z.string().min(1).max(64),
  /** The decider's confidence, 0..1. */
  confidence: z.number().min(0).max(1),
  rationale: z.string().max(8000).default(''),
  /** How long after `time` the outcome is measured (ms); the outcome is due at `time + horizonMs`. */
  horizonMs: z.number().int().positive(),
});

/** A decision to remember, as callers pass it. */
export type EpisodeInput = z.input<typeof episodeInputSchema>;

/**
 * What came of a decision, written once its horizon has passed: `return` is the decision's realised
 * return as a fraction (0.012 = +1.2 %), `alpha` that return minus the benchmark's over the same
 * horizon, `horizonMs` the horizon actually measured.
 */
export const outcomeInputSchema = z.object({
  return: z.number(),
  alpha: z.number(),
  horizonMs: z.number().int().positive(),
});

/** What came of a decision, as callers write it. */
export type OutcomeInput = z.input<typeof outcomeInputSchema>;

/** An outcome still to be measured; due at `dueAt` (epoch ms). */
export const pendingOutcomeSchema = z.object({ type: z.literal('pending'), dueAt: z.number() });

/** A measured outcome; `realisedAt` is when it was written (epoch ms). */
export const realisedOutcomeSchema = outcomeInputSchema.extend({
  type: z.literal('realised'),
  realisedAt: z.number(),
});

/** An episode's outcome: pending until written back, then realised. */
export const outcomeSchema = z.discriminatedUnion('type', [pendingOutcomeSchema, realisedOutcomeSchema]);

/** An episode's outcome. */
export type Outcome = z.output<typeof outcomeSchema>;
/** A measured outcome. */
export type RealisedOutcome = z.output<typeof realisedOutcomeSchema>;

/** A remembered decision and, once known, what came of it. */
export const episodeSchema = episodeInputSchema.extend({ id: z.string(), outcome: outcomeSchema });

/** A remembered decision and, once known, what came of it. */
export type Episode = z.output<typeof episodeSchema>;

/** Narrows a recall to matching episodes; `since` is an epoch-ms lower bound on `time` (inclusive). */
export const recallFilterSchema = z.object({
  symbol: z.string().min(1).optional(),
  regime: z.string().min(1).optional(),
  decision: z.string().min(1).optional(),
  since: z.number().int().nonnegative().optional(),
});

/** Narrows a recall to matching episodes. */
export type RecallFilter = z.input<typeof recallFilterSchema>;

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v = input;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/**
 * Parses `input` with `schema`, or throws the most specific {@link MemoryValidationError}: a
 * {@link NonFiniteFeatureError} for NaN/±Infinity inside a situation, otherwise a validation error naming
 * the first offending field (prefixed with `root` when given, e.g. `outcome.alpha`).
 */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, root = ''): z.output<S> {
  // zod drops an own `__proto__` key without a word (it would replace the prototype of what it builds):
  // a field by that name would be lost between record() and recall, so it is refused, named.
  const proto = protoKeyPath(input, root === '' ? [] : [root]);
  if (proto !== undefined) {
    const field = formatPath(proto);
    throw new MemoryValidationError(`${field}: a key cannot be named __proto__`, {
      field,
      issues: [`${field}: a key cannot be named __proto__`],
    });
  }
  const res = schema.safeParse(input);
  if (res.success) return res.data;
  const issues = res.error.issues.map((i) => {
    const path = root === '' ? i.path : [root, ...i.path];
    return { path: formatPath(path), rawPath: i.path, message: i.message };
  });
  const lines = issues.map((i) => `${i.path || '(input)'}: ${i.message}`);
  for (const issue of issues) {
    const value = valueAt(input, issue.rawPath);
    if (issue.path.includes('situation') && typeof value === 'number' && !Number.isFinite(value)) {
      throw new NonFiniteFeatureError(issue.path, value, lines);
    }
  }
  const first = issues[0];
  const field = first?.path || '(input)';
  throw new MemoryValidationError(`${field}: ${first?.message ?? 'invalid'}`, { field, issues: lines });
}

/** The path of the first own `__proto__` key in a plain JSON-like value, or undefined. */
function protoKeyPath(v: unknown, path: PropertyKey[], depth = 0): PropertyKey[] | undefined {
  if (v === null || typeof v !== 'object' || depth > 8) return undefined;
  if (!Array.isArray(v) && Object.hasOwn(v, '__proto__')) return [...path, '__proto__'];
  for (const [k, x] of Object.entries(v)) {
    const found = protoKeyPath(x, [...path, Array.isArray(v) ? Number(k) : k], depth + 1);
    if (found) return found;
  }
  return undefined;
}
