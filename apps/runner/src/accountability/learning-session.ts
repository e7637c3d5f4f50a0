import {
  type CycleRecord,
  Learner,
  type LearningSettingsInput,
  type SolarSystemConfig,
  type SunTuning,
  TuningTimeline,
} from '@orrery/agents';
import type { StoredCycle } from '../broker/ledger-db.ts';
import type { Strategy } from '../loop/strategy.ts';
import { type LearningCycle, LearningFeed } from './learning-feed.ts';

/** The learning loop of one run, plugged into its agents and its loop. */
export interface LearningSession {
  readonly learner: Learner;
  /** What the solar system reads its planet weights and regime playbook from (`tuning`). */
  readonly tuning: SunTuning;
  /**
   * Wraps the run's strategy: before each new step, outcomes due by the previous step go to the learner
   * and its parameters are refreshed (so they apply from this step on); each cycle is then observed.
   * Warm-up bars of a resumed run (`stored`: its cycles so far) are re-run with the parameters they were
   * decided with, and their cycles observed again.
   */
  wrap(strategy: Strategy<CycleRecord>, stored?: readonly StoredCycle[]): Strategy<CycleRecord>;
  close(): void;
}

/** The learning settings of the runner's `learning` section (without its `dbPath`), or false. */
export function learningSettingsOf(
  section: false | ({ readonly dbPath: string } & LearningSettingsInput),
): LearningSettingsInput | false {
  if (section === false) return false;
  const { dbPath: _, ...settings } = section;
  return settings;
}

/**
 * Opens the learner of run `scope` in `path` with the agents' configured planet weights as priors and
 * their memory horizon as the outcome horizon. A new run (`fresh`) forgets what the scope held before.
 *
 * @throws LearningInputError for invalid settings.
 */
export function openLearning(o: {
  readonly path: string;
  readonly scope: string;
  readonly agents: SolarSystemConfig;
  readonly settings?: LearningSettingsInput | undefined;
  readonly fresh: boolean;
}): LearningSession {
  const learner = Learner.open({
    path: o.path,
    scope: o.scope,
    weights: o.agents.planets.weights,
    settings: o.settings,
    fresh: o.fresh,
  });
  const feed = new LearningFeed(learner, o.agents.memory.horizonMs);
  let source: SunTuning = learner;
  const tuning: SunTuning = {
    weightOf: (planet) => source.weightOf(planet),
    riskMultiplier: (regime) => source.riskMultiplier(regime),
  };
  return {
    learner,
    tuning,
    wrap(inner, stored = []) {
      const byKey = new Map(stored.map((c) => [`${c.symbol}@${c.time}`, c]));
      const past = byKey.size > 0 ? new TuningTimeline(learner.changes()) : null;
      let last = Number.NEGATIVE_INFINITY;
      return {
        cycle: async (input) => {
          const t = input.bar.time;
          if (t > last) {
            if (last > Number.NEGATIVE_INFINITY) feed.flush(last);
            last = t;
          }
          const record = await inner.cycle(input);
          feed.observe(input.symbol, t, input.bar.close, record as LearningCycle);
          return record;
        },
        warm: async (input) => {
          const t = input.bar.time;
          last = Math.max(last, t);
          if (past !== null) source = past.advance(t);
          try {
            await inner.warm?.(input);
          } finally {
            source = learner;
          }
          const c = byKey.get(`${input.symbol}@${t}`);
          if (c !== undefined) feed.observe(input.symbol, t, input.bar.close, c.record as LearningCycle);
        },
        stop: () => inner.stop(),
      };
    },
    close: () => learner.close(),
  };
}
