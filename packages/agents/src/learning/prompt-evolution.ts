import { createHash } from 'node:crypto';
import { type Clock, systemClock } from '@orrery/core';
import { z } from 'zod';
import type { LearningDbTarget } from './learning-db.ts';
import { LearningInputError, LearningNotFoundError } from './learning-errors.ts';
import { parseLearning } from './parse.ts';
import { type PromptHistoryEntry, PromptStore } from './prompt-store.ts';
import {
  sequentialMeanTest,
  sequentialProportionTest,
  type TestResult,
  twoProportionZTest,
  welchTTest,
} from './stats.ts';

/**
 * When a prompt experiment may adopt a winner: every variant has `minSamples` outcomes, and the best
 * variant beats each other one at significance `alpha` (Bonferroni-corrected over the comparisons), by a
 * test that stays valid however often it is looked at (`monitoring`).
 */
export const promptEvolutionSettingsSchema = z
  .strictObject({
    minSamples: z
      .int()
      .min(2)
      .default(50)
      .describe('Outcomes every variant needs before any adoption. Default 50.'),
    alpha: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.05)
      .describe(
        'Significance level of the family of comparisons (two-sided, Bonferroni-corrected). Default 0.05.',
      ),
    test: z
      .enum(['two-proportion', 'welch'])
      .default('two-proportion')
      .describe(
        '`two-proportion`: outcomes are successes/failures; `welch`: outcomes are values, e.g. returns. Default `two-proportion`.',
      ),
    monitoring: z
      .enum(['sequential', 'fixed-horizon'])
      .default('sequential')
      .describe(
        '`sequential` (default): an always-valid mSPRT p-value, so evaluating after every bar keeps the false-adoption rate at most `alpha`; `fixed-horizon`: the classical z/Welch test, run once, when every variant first has `minSamples` outcomes.',
      ),
    effectSize: z
      .number()
      .gt(0)
      .max(10)
      .default(0.25)
      .describe(
        "The sequential test's prior on the difference, in standard deviations of one outcome (its mixing τ): the size of effect it detects fastest. Default 0.25.",
      ),
  })
  .describe(
    'When a prompt experiment may adopt a winner: every variant has `minSamples` outcomes, and the best beats each other one at significance `alpha`.',
  );

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
   * outcomes; `undecided`: enough outcomes, no significant winner (yet); `concluded`: the fixed-horizon
   * test ran once and found none (it is not run again).
   */
  status: 'adopted' | 'insufficient' | 'undecided' | 'concluded';
  winner?: string;
  /** The per-comparison significance level (alpha / comparisons). */
  alpha: number;
  variants: VariantStats[];
}

/**
 * Prompt A/B evolution: variants per prompt id, a deterministic assignment of keys to variants (the
 * SHA-256 of prompt id and key), outcomes per variant, and adoption of a winner only when every variant
 * has `minSamples` outcomes and the best one is significantly better than each other one, at `alpha`
 * Bonferroni-corrected: by default with an always-valid sequential test (mSPRT on successes or on values),
 * so evaluating after every outcome does not inflate false adoptions. Variants, outcomes
 * and every definition and adoption are kept in SQLite.
 */
export class PromptEvolution {
  readonly settings: PromptEvolutionSettings;
  readonly #store: PromptStore;
  readonly #clock: Clock;

  private constructor(path: LearningDbTarget, settings: PromptEvolutionSettings, clock: Clock) {
    this.settings = settings;
    this.#clock = clock;
    this.#store = new PromptStore(path);
  }

  /**
   * Opens (creating if needed) the experiments in the SQLite file at `path` (or a shared connection,
   * whose open transaction its writes then join).
   * @throws LearningInputError for invalid settings.
   */
  static open(o: {
    path: LearningDbTarget;
    settings?: PromptEvolutionSettingsInput;
    clock?: Clock;
  }): PromptEvolution {
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
    const fixed = this.settings.monitoring === 'fixed-horizon';
    if (fixed && this.#store.history(promptId).some((h) => h.event === 'concluded'))
      return { ...base, status: 'concluded', variants: stats.map((s) => s.stats) };
    if (variants.length < 2 || stats.some((s) => s.stats.n < this.settings.minSamples)) {
      return { ...base, status: 'insufficient', variants: stats.map((s) => s.stats) };
    }
    const { winner, variants: out } = judgeVariants(this.settings, stats);
    const evidence = {
      test: this.settings.test,
      monitoring: this.settings.monitoring,
      alpha: this.settings.alpha,
      perComparisonAlpha: alpha,
      minSamples: this.settings.minSamples,
      variants: out,
    };
    if (winner === undefined) {
      if (!fixed) return { ...base, status: 'undecided', variants: out };
      this.#store.addHistory(promptId, this.#clock.now(), 'concluded', undefined, evidence);
      return { ...base, status: 'concluded', variants: out };
    }
    this.#store.addHistory(promptId, this.#clock.now(), 'adopted', winner, evidence);
    return { ...base, status: 'adopted', winner, variants: out };
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

/** One variant's outcomes, as {@link judgeVariants} reads them. */
export interface VariantSample {
  stats: VariantStats;
  /** The outcome values (`welch` only). */
  values: readonly number[];
}

/**
 * The adoption rule on one look at the data (no minimum-sample check, no history): the best variant by
 * score (ties: definition order) must beat every other one with `diff > 0` and p < alpha / (k − 1), by the
 * configured test. Sequential: each comparison's always-valid p-value; pairing the variants up bounds the
 * chance that some variant EVER "beats all" of k identical ones by ⌈k/2⌉ × alpha/(k−1) ≤ alpha, so the
 * Bonferroni over k − 1 comparisons still holds under continuous monitoring.
 */
export function judgeVariants(
  settings: PromptEvolutionSettings,
  samples: readonly VariantSample[],
): { winner: string | undefined; alpha: number; variants: VariantStats[] } {
  const alpha = settings.alpha / Math.max(1, samples.length - 1);
  if (samples.length < 2) return { winner: undefined, alpha, variants: samples.map((s) => s.stats) };
  const fixed = settings.monitoring === 'fixed-horizon';
  const best = samples.reduce((a, b) => (b.stats.score > a.stats.score ? b : a));
  const out: VariantStats[] = samples.map((s) => {
    if (s === best) return s.stats;
    const [s1, n1, s2, n2] = [best.stats.successes ?? 0, best.stats.n, s.stats.successes ?? 0, s.stats.n];
    const e = settings.effectSize;
    const test =
      settings.test === 'two-proportion'
        ? fixed
          ? twoProportionZTest(s1, n1, s2, n2)
          : sequentialProportionTest(s1, n1, s2, n2, e)
        : fixed
          ? welchTTest(best.values, s.values)
          : sequentialMeanTest(best.values, s.values, e);
    return { ...s.stats, test };
  });
  const wins = out.every((s) => s.test === undefined || (s.test.diff > 0 && s.test.p < alpha));
  return { winner: wins ? best.stats.variant : undefined, alpha, variants: out };
}

/** A uniform bucket in [0, n) from the SHA-256 of `key`. */
function bucket(key: string, n: number): number {
  const h = createHash('sha256').update(key).digest();
  return h.readUInt32BE(0) % n;
}
