import { type Clock, systemClock } from '@orrery/core';
import type { LearningDbTarget } from './learning-db.ts';
import { LearningInputError, LearningNotFoundError } from './learning-errors.ts';
import {
  learnedRiskMultiplier,
  learnedWeight,
  type RuleEvidence,
  ruleEvidence,
  stanceOf,
  type Tally,
  tallyOutcome,
} from './learning-rules.ts';
import {
  type LearningSettings,
  type LearningSettingsInput,
  learningSettingsSchema,
  type OutcomeEvidenceInput,
  outcomeEvidenceSchema,
} from './learning-settings.ts';
import { type LearningChange, LearningStore } from './learning-store.ts';
import { parseLearning } from './parse.ts';
import type { SunTuning } from './sun-tuning.ts';

/** Options of {@link Learner.open}. */
export interface LearnerOptions {
  /**
   * The SQLite file (`:memory:` for a throwaway one), or a connection another store opened: the
   * learner's writes then join that connection's open transaction.
   */
  path: LearningDbTarget;
  /** Whose parameters these are: each scope learns on its own (the runner uses the run id). */
  scope: string;
  /** The configured planet vote weights (planets not listed weigh 1): the priors learning starts from. */
  weights?: Readonly<Record<string, number>> | undefined;
  settings?: LearningSettingsInput | undefined;
  /** Time of reverts when none is given (default: the system clock). */
  clock?: Clock | undefined;
  /** Start the scope afresh, forgetting what it learned before (e.g. a new run reusing an id). */
  fresh?: boolean | undefined;
}

/** A regime's play: how much risk to take in it, and the stance that amounts to. */
export interface RegimePlay {
  riskMultiplier: number;
  stance: 'normal' | 'cautious' | 'defensive';
}

const WEIGHT = 'weight:';
const PLAYBOOK = 'playbook:';

/**
 * The outcome-driven learning loop. Outcomes (the planets' calls, the price move, the position taken)
 * are recorded as their horizon passes; {@link refresh} then re-derives the parameters the sun and the
 * consensus use — each planet's vote weight from its directional hit rate, each regime's risk multiplier
 * from how often positions held in it gained — both shrunk towards the prior and held there until
 * `minSamples` outcomes. Every change is stored with its evidence and can be reverted; a reverted
 * parameter stays put until `minSamples` more outcomes have been counted for it.
 *
 * It is the solar system's {@link SunTuning}: pass it as `tuning` and changes apply from the next cycle.
 */
export class Learner implements SunTuning {
  readonly scope: string;
  readonly settings: LearningSettings;
  readonly #store: LearningStore;
  readonly #priors: Readonly<Record<string, number>>;
  readonly #clock: Clock;
  #params: Map<string, number>;
  #tallies: Map<string, Tally>;

  private constructor(o: LearnerOptions, settings: LearningSettings) {
    this.scope = o.scope;
    this.settings = settings;
    this.#priors = { ...(o.weights ?? {}) };
    this.#clock = o.clock ?? systemClock;
    this.#store = new LearningStore(o.path);
    if (o.fresh === true) this.#store.clear(o.scope);
    this.#params = this.#store.params(o.scope);
    this.#tallies = this.#store.tallies(o.scope);
  }

  /**
   * Opens (creating if needed) the learner of `scope` in the SQLite file at `path`; a scope that learned
   * before carries on from its stored parameters.
   * @throws LearningInputError for invalid settings, an empty scope or a negative prior weight.
   */
  static open(o: LearnerOptions): Learner {
    const settings = parseLearning(learningSettingsSchema, o.settings ?? {}, 'settings');
    if (typeof o.scope !== 'string' || o.scope === '') {
      throw new LearningInputError('scope must be a non-empty string', { field: 'scope' });
    }
    for (const [planet, w] of Object.entries(o.weights ?? {})) {
      if (!(w >= 0))
        throw new LearningInputError(`weights.${planet} must be >= 0`, { field: `weights.${planet}` });
    }
    return new Learner(o, settings);
  }

  /**
   * Counts outcomes (each key once, whatever how often it is recorded). Validates them all before
   * storing any.
   * @returns how many were new.
   * @throws LearningInputError naming the first bad field (`evidence[3].move`).
   */
  record(evidence: readonly OutcomeEvidenceInput[]): number {
    const parsed = evidence.map((e, i) => parseLearning(outcomeEvidenceSchema, e, `evidence[${i}]`));
    return this.#store.transaction(() => {
      let added = 0;
      for (const e of parsed) {
        if (!this.#store.addEvidence(this.scope, e)) continue;
        added++;
        for (const { subject, hit } of tallyOutcome(e, this.settings)) {
          this.#store.count(this.scope, subject, hit);
          const t = this.#tallies.get(subject) ?? { n: 0, hits: 0 };
          this.#tallies.set(subject, { n: t.n + 1, hits: t.hits + (hit ? 1 : 0) });
        }
      }
      return added;
    });
  }

  /**
   * Re-derives every parameter from the outcomes counted so far and applies the ones that moved by at
   * least `minChange`, each recorded with its evidence at time `at` (epoch ms).
   * @returns the changes made (oldest first), empty when nothing moved.
   */
  refresh(at: number = this.#clock.now()): LearningChange[] {
    const blocked = this.#blocked();
    return this.#store.transaction(() => {
      const made: LearningChange[] = [];
      // Subjects in name order, so that a resumed learner makes the same changes in the same order.
      for (const [subject, tally] of [...this.#tallies].sort(([a], [b]) => a.localeCompare(b))) {
        const proposal = this.#propose(subject, tally);
        if (proposal === undefined) continue;
        const { parameter, prior, value, evidence } = proposal;
        const current = this.#params.get(parameter) ?? prior;
        if (Math.abs(value - current) < Math.max(this.settings.minChange, 1e-12)) continue;
        const until = blocked.get(parameter);
        if (until !== undefined && tally.n < until) continue;
        made.push(this.#set(at, parameter, current, value, evidence));
      }
      return made;
    });
  }

  #propose(
    subject: string,
    tally: Tally,
  ): { parameter: string; prior: number; value: number; evidence: Record<string, unknown> } | undefined {
    if (subject.startsWith('planet:')) {
      const planet = subject.slice('planet:'.length);
      const prior = this.#priors[planet] ?? 1;
      const e: RuleEvidence = ruleEvidence(tally, this.settings, prior);
      const value = learnedWeight(e, this.settings);
      return {
        parameter: `${WEIGHT}${planet}`,
        prior,
        value,
        evidence: { ...e, measure: 'directional hit rate', factor: prior === 0 ? 0 : value / prior },
      };
    }
    if (subject.startsWith('regime:')) {
      const regime = subject.slice('regime:'.length);
      const e = ruleEvidence(tally, this.settings, 1);
      const value = learnedRiskMultiplier(e, this.settings);
      return {
        parameter: `${PLAYBOOK}${regime}`,
        prior: 1,
        value,
        evidence: { ...e, measure: 'share of positioned outcomes that gained', stance: stanceOf(value) },
      };
    }
    return undefined;
  }

  #set(at: number, parameter: string, old: number, value: number, evidence: Record<string, unknown>) {
    const change = this.#store.change(this.scope, at, parameter, old, value, evidence);
    this.#params.set(parameter, value);
    return change;
  }

  /** Parameter → tally size below which automatic changes wait (after a revert). */
  #blocked(): Map<string, number> {
    const out = new Map<string, number>();
    for (const c of this.#store.revertedChanges(this.scope)) {
      const n = typeof c.evidence.n === 'number' ? c.evidence.n : 0;
      out.set(c.parameter, Math.max(out.get(c.parameter) ?? 0, n + this.settings.minSamples));
    }
    return out;
  }

  /**
   * Undoes change `changeId`: its parameter goes back to the value before it (recorded as a new change
   * whose evidence names the one reverted), and is left alone by {@link refresh} until `minSamples`
   * more outcomes have been counted for it.
   * @throws LearningNotFoundError for an unknown change (or one of another scope); LearningInputError
   *   when it was already reverted or is itself a revert.
   */
  revert(changeId: number, at: number = this.#clock.now()): LearningChange {
    const c = this.#store.getChange(changeId);
    if (c === undefined || c.scope !== this.scope) {
      throw new LearningNotFoundError(`learning change ${changeId} does not exist in scope ${this.scope}`, {
        what: `change ${changeId}`,
      });
    }
    if (c.revertedBy !== undefined) {
      throw new LearningInputError(
        `learning change ${changeId} was already reverted by change ${c.revertedBy}`,
        {
          field: 'changeId',
        },
      );
    }
    if (typeof c.evidence.revertOf === 'number') {
      throw new LearningInputError(
        `learning change ${changeId} is a revert; revert change ${c.evidence.revertOf} is undone by the next refresh instead`,
        {
          field: 'changeId',
        },
      );
    }
    return this.#store.transaction(() => {
      const current = this.#params.get(c.parameter) ?? c.new;
      const made = this.#set(at, c.parameter, current, c.old, { revertOf: c.id, restored: c.old });
      this.#store.markReverted(c.id, made.id);
      return made;
    });
  }

  /** The vote weight learned for `planet`, or undefined while it has none (the planet keeps its own). */
  weightOf(planet: string): number | undefined {
    return this.#params.get(`${WEIGHT}${planet}`);
  }

  /** The risk multiplier learned for `regime` (1 until one is learned). */
  riskMultiplier(regime: string): number {
    return this.#params.get(`${PLAYBOOK}${regime}`) ?? 1;
  }

  /** Learned planet weights, by planet. */
  weights(): Record<string, number> {
    return this.#prefixed(WEIGHT);
  }

  /** The learned regime playbook, by regime. */
  playbook(): Record<string, RegimePlay> {
    const out: Record<string, RegimePlay> = {};
    for (const [regime, m] of Object.entries(this.#prefixed(PLAYBOOK))) {
      out[regime] = { riskMultiplier: m, stance: stanceOf(m) };
    }
    return out;
  }

  #prefixed(prefix: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of [...this.#params].sort(([a], [b]) => a.localeCompare(b))) {
      if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    }
    return out;
  }

  /** The outcomes counted per subject (`planet:<name>`, `regime:<label>`). */
  tallies(): Record<string, Tally> {
    return Object.fromEntries([...this.#tallies].map(([k, t]) => [k, { ...t }]));
  }

  /** Every change of this scope, oldest first (optionally of one parameter). */
  changes(parameter?: string): LearningChange[] {
    return this.#store.changes(this.scope, parameter);
  }

  /** Closes the database. */
  close(): void {
    this.#store.close();
  }
}
