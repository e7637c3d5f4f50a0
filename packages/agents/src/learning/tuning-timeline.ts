import type { LearningChange } from './learning-store.ts';
import type { SunTuning } from './sun-tuning.ts';

/**
 * The learned parameters as they stood at past times, rebuilt from a learner's changes: after
 * {@link advance}(t), it answers with every change made before `t` applied (in the order made). Used to
 * re-run past bars with the parameters they were decided with (a resumed run's warm-up).
 */
export class TuningTimeline implements SunTuning {
  readonly #changes: readonly LearningChange[];
  readonly #values = new Map<string, number>();
  #next = 0;
  #time = Number.NEGATIVE_INFINITY;

  /** @param changes a learner's changes (`Learner.changes()`), in any order. */
  constructor(changes: readonly LearningChange[]) {
    this.#changes = [...changes].sort((a, b) => a.id - b.id);
  }

  /**
   * Moves to time `t` (epoch ms): applies the changes made before it.
   * @throws RangeError when `t` is earlier than a time already reached.
   */
  advance(t: number): this {
    if (t < this.#time) throw new RangeError(`TuningTimeline cannot go back in time (${t} < ${this.#time})`);
    this.#time = t;
    while (this.#next < this.#changes.length && (this.#changes[this.#next] as LearningChange).at < t) {
      const c = this.#changes[this.#next] as LearningChange;
      this.#values.set(c.parameter, c.new);
      this.#next++;
    }
    return this;
  }

  weightOf(planet: string): number | undefined {
    return this.#values.get(`weight:${planet}`);
  }

  riskMultiplier(regime: string): number {
    return this.#values.get(`playbook:${regime}`) ?? 1;
  }
}
