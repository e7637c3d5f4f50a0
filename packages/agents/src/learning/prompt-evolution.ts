import { createHash } from 'node:crypto';
import { type Clock, systemClock } from '@orrery/core';
import { z } from 'zod';
import { LearningInputError, LearningNotFoundError } from './learning-errors.ts';
import { parseLearning } from './parse.ts';
import { type PromptHistoryEntry, PromptStore } from './prompt-store.ts';
import { type TestResult, twoProportionZTest, welchTTest } from './stats.ts';

/**
 * When a prompt experiment may adopt a winner: every variant has `minSamples` outcomes, and the best
 * variant beats each other one at significance `alpha` (Bonferroni-corrected over the comparisons).
 */
export const promptEvolutionSettingsSchema = z.strictObject({
  /** Outcomes every variant needs before any adoption. */
  minSamples: z.int().min(2).default(50),
  /** Significance level of the family of comparisons (two-sided). */
  alpha: z.number().gt(0).lt(1).default(0.05),
  /** `two-proportion`: outcomes are successes/failures (z-test); `welch`: outcomes are values, e.g. returns (Welch's t). */
  test: z.enum(['two-proportion', 'welch']).default('two-proportion'),
});

/** Prompt evolution settings, as callers pass them. */
export type PromptEvolutionSettingsInput = z.input<typeof promptEvolutionSettingsSchema>;
/** Prompt evolution settings with defaults filled. */
export type PromptEvolutionSettings = z.output<typeof promptEvolutionSettingsSchema>;

const variantsSchema = z
  .array(z.object({ id: z.string().min(1).max(64), text: z.string() }))
  .min(1)
  .refine((vs) => new Set(vs.map((v) => v.id)).size === vs.length, 'variant ids must be unique');

/** The variant a key was given. */
export interface PromptAssignment {
  promptId: string;
  variant: string;
  text: string;
  /** True once a winner was adopted (every key then gets it). */
  adopted: boolean;
}

/** One variant's outcomes. */
export interface VariantStats {
  variant: string;
  n: number;
  /** Share of successes (`two-proportion`) or mean value (`welch`). */
  score: number;
  successes?: number;
  /** The best variant's test against this one (absent for the best itself). */
  test?: TestResult;
}

/** Where a prompt experiment stands. */
export interface PromptEvaluation {
  promptId: string;
  /**
   * `adopted`: a winner is in use (now or before); `insufficient`: a variant has fewer than `minSamples`
   * outcomes; `undecided`: enough outcomes, no significant winner.
   */
  status: 'adopted' | 'insufficient' | 'undecided';
  winner?: string;
  /** The per-comparison significance level (alpha / comparisons). */
  alpha: number;
  variants: VariantStats[];
}

/**
 * Prompt A/B evolution: variants per prompt id, a deterministic assignment of keys to variants (the
 * SHA-256 of prompt id and key), outcomes per variant, and adoption of a winner only when every variant
 * has `minSamples` outcomes and the best one is significantly better than each other one (two-proportion
 * z-test on successes, or Welch's t-test on values, at `alpha` Bonferroni-corrected). Variants, outcomes
 * and every definition and adoption are kept in SQLite.
 */
export class PromptEvolution {
  readonly settings: PromptEvolutionSettings;
  readonly #store: PromptStore;
  readonly #clock: Clock;

  private constructor(path: string, settings: PromptEvolutionSettings, clock: Clock) {
    this.settings = settings;
    this.#clock = clock;
    this.#store = new PromptStore(path);
  }

  /**
   * Opens (creating if needed) the experiments in the SQLite file at `path`.
   * @throws LearningInputError for invalid settings.
   */
  static open(o: { path: string; settings?: PromptEvolutionSettingsInput; clock?: Clock }): PromptEvolution {
    return new PromptEvolution(
      o.path,
      parseLearning(promptEvolutionSettingsSchema, o.settings ?? {}, 'settings'),
      o.clock ?? systemClock,
    );
  }

  /**
   * Defines the variants of `promptId`, the first being the control. Idempotent; new variants may be
   * added later (appended), but a defined variant's text never changes (outcomes would lose their meaning).
   * @throws LearningInputError for no variants, duplicate ids, or a changed text.
   */
  define(promptId: string, variants: readonly { id: string; text: string }[]): void {
    if (promptId === '') throw new LearningInputError('promptId must not be empty', { field: 'promptId' });
    const vs = parseLearning(variantsSchema, variants, 'variants');
    this.#store.transaction(() => {
      const known = new Map(this.#store.variants(promptId).map((v) => [v.id, v]));
      const added: string[] = [];
      for (const v of vs) {
        const k = known.get(v.id);
        if (k !== undefined) {
          if (k.text !== v.text) {
            throw new LearningInputError(
              `prompt ${promptId}: variant ${v.id} is already defined with another text; define a new variant id instead`,
              { field: `variants.${v.id}.text` },
            );
          }
          continue;
        }
        this.#store.addVariant(promptId, v, known.size + added.length);
        added.push(v.id);
      }
      if (added.length > 0)
        this.#store.addHistory(promptId, this.#clock.now(), 'defined', undefined, { added });
    });
  }

  /**
   * The variant `key` gets (e.g. a symbol and bar time): the adopted winner once there is one, otherwise
   * a deterministic pick among the variants by the hash of `salt` (default: the prompt id) and key —
   * experiments given the same salt (the same prompt in two runs) assign every key alike.
   * @throws LearningNotFoundError for an undefined prompt.
   */
  assign(promptId: string, key: string, salt: string = promptId): PromptAssignment {
    const variants = this.#variants(promptId);
    const adopted = this.#store.adopted(promptId);
    const pick =
      variants.find((v) => v.id === adopted) ??
      (variants[bucket(`${salt}\u0000${key}`, variants.length)] as (typeof variants)[number]);
    return { promptId, variant: pick.id, text: pick.text, adopted: adopted !== undefined };
  }

  /**
   * Records the outcome of the variant a key was given: `success` for the two-proportion test, `value`
   * for Welch's. One outcome per key (recording a key again changes nothing).
   * @returns false when the key already had an outcome.
   * @throws LearningNotFoundError for an unknown prompt or variant; LearningInputError when the outcome
   *   lacks what the configured test needs.
   */
  recordOutcome(
    promptId: string,
    variant: string,
    outcome: { key: string; success?: boolean; value?: number },
  ): boolean {
    if (!this.#variants(promptId).some((v) => v.id === variant)) {
      throw new LearningNotFoundError(`prompt ${promptId} has no variant ${variant}`, {
        what: `variant ${variant}`,
      });
    }
    if (typeof outcome.key !== 'string' || outcome.key === '') {
      throw new LearningInputError('outcome.key must be a non-empty string', { field: 'outcome.key' });
    }
    if (this.settings.test === 'two-proportion' && typeof outcome.success !== 'boolean') {
      throw new LearningInputError('outcome.success (boolean) is needed for the two-proportion test', {
        field: 'outcome.success',
      });
    }
    if (
      this.settings.test === 'welch' &&
      !(typeof outcome.value === 'number' && Number.isFinite(outcome.value))
    ) {
      throw new LearningInputError("outcome.value (a finite number) is needed for Welch's test", {
        field: 'outcome.value',
      });
    }
    return this.#store.addOutcome(
      promptId,
      outcome.key,
      variant,
      this.#clock.now(),
      outcome.success,
      outcome.value,
    );
  }

  /**
   * Tests the experiment and adopts the winner when the rule allows (recorded in the history with the
   * test results). Once a winner is adopted it stays adopted.
   * @throws LearningNotFoundError for an undefined prompt.
   */
  evaluate(promptId: string): PromptEvaluation {
    const variants = this.#variants(promptId);
    const adopted = this.#store.adopted(promptId);
    const comparisons = Math.max(1, variants.length - 1);
    const alpha = this.settings.alpha / comparisons;
    const stats = this.#stats(
      promptId,
      variants.map((v) => v.id),
    );
    const base = { promptId, alpha };
    if (adopted !== undefined)
      return { ...base, status: 'adopted', winner: adopted, variants: stats.map((s) => s.stats) };
    if (variants.length < 2 || stats.some((s) => s.stats.n < this.settings.minSamples)) {
      return { ...base, status: 'insufficient', variants: stats.map((s) => s.stats) };
    }
    // The best by score (ties: definition order); it must beat every other variant significantly.
    const best = stats.reduce((a, b) => (b.stats.score > a.stats.score ? b : a));
    const out: VariantStats[] = stats.map((s) => {
      if (s === best) return s.stats;
      const test =
        this.settings.test === 'two-proportion'
          ? twoProportionZTest(best.stats.successes ?? 0, best.stats.n, s.stats.successes ?? 0, s.stats.n)
          : welchTTest(best.values, s.values);
      return { ...s.stats, test };
    });
    const wins = out.every((s) => s.test === undefined || (s.test.diff > 0 && s.test.p < alpha));
    if (!wins) return { ...base, status: 'undecided', variants: out };
    this.#store.addHistory(promptId, this.#clock.now(), 'adopted', best.stats.variant, {
      test: this.settings.test,
      alpha: this.settings.alpha,
      perComparisonAlpha: alpha,
      minSamples: this.settings.minSamples,
      variants: out,
    });
    return { ...base, status: 'adopted', winner: best.stats.variant, variants: out };
  }

  #stats(promptId: string, ids: readonly string[]): { stats: VariantStats; values: number[] }[] {
    const by = new Map(ids.map((id) => [id, { successes: 0, values: [] as number[], n: 0 }]));
    for (const o of this.#store.outcomes(promptId)) {
      const s = by.get(o.variant);
      if (s === undefined) continue;
      if (this.settings.test === 'two-proportion') {
        if (o.success === undefined) continue;
        s.n += 1;
        if (o.success) s.successes += 1;
      } else {
        if (o.value === undefined) continue;
        s.n += 1;
        s.values.push(o.value);
      }
    }
    return ids.map((variant) => {
      const s = by.get(variant) as { successes: number; values: number[]; n: number };
      const score =
        s.n === 0
          ? 0
          : this.settings.test === 'two-proportion'
            ? s.successes / s.n
            : s.values.reduce((a, x) => a + x, 0) / s.n;
      return {
        stats: {
          variant,
          n: s.n,
          score,
          ...(this.settings.test === 'two-proportion' ? { successes: s.successes } : {}),
        },
        values: s.values,
      };
    });
  }

  #variants(promptId: string) {
    const vs = this.#store.variants(promptId);
    if (vs.length === 0)
      throw new LearningNotFoundError(`prompt ${promptId} is not defined`, { what: `prompt ${promptId}` });
    return vs;
  }

  /** Forgets everything about `promptId` (variants, outcomes, history), to start its experiment afresh. */
  forget(promptId: string): void {
    this.#store.clear(promptId);
  }

  /** The prompt's history (definitions and adoptions), oldest first. */
  history(promptId: string): PromptHistoryEntry[] {
    return this.#store.history(promptId);
  }

  /** Closes the database. */
  close(): void {
    this.#store.close();
  }
}

/** A uniform bucket in [0, n) from the SHA-256 of `key`. */
function bucket(key: string, n: number): number {
  const h = createHash('sha256').update(key).digest();
  return h.readUInt32BE(0) % n;
}
