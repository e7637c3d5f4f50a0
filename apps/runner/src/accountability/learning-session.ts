import {
  type CycleRecord,
  Learner,
  type LearningSettingsInput,
  PromptEvolution,
  type PromptEvolutionSettingsInput,
  type SolarSystemConfig,
  type SunTuning,
  TuningTimeline,
} from '@orrery/agents';
import type { StoredCycle } from '../broker/ledger-db.ts';
import type { CycleInput, Strategy } from '../loop/strategy.ts';
import type { RunTimer } from '../session/run-timer.ts';
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

/** The runner's `learning` section (see its config schema). */
export type LearningSection = LearningSettingsInput & {
  readonly dbPath: string;
  readonly prompts?: PromptVariants;
  readonly promptTest?: PromptEvolutionSettingsInput;
};

/** Variants per prompt id, the first being the control. */
export type PromptVariants = Readonly<Record<string, readonly { id: string; text: string }[]>>;

/** The learner's settings in the runner's `learning` section (without its path and prompts), or false. */
export function learningSettingsOf(section: false | LearningSection): LearningSettingsInput | false {
  if (section === false) return false;
  const { dbPath: _, prompts: __, promptTest: ___, ...settings } = section;
  return settings;
}

/** The prompt experiment of prompt `promptId` in run `scope`: each run experiments on its own. */
export function experimentId(scope: string, promptId: string): string {
  return `${scope}:${promptId}`;
}

/**
 * Opens the learner of run `scope` in `path` with the agents' configured planet weights as priors and
 * their memory horizon as the outcome horizon, and the run's prompt experiments (`prompts`, in the same
 * file; each cycle the sun reasoned in counts for its variant once its outcome is due, with the gain as
 * value and `gain > 0` as success; a winner is adopted when `promptTest` allows). A new run (`fresh`)
 * forgets what the scope held before.
 *
 * @throws LearningInputError for invalid settings or variants.
 */
export function openLearning(o: {
  readonly path: string;
  readonly scope: string;
  readonly agents: SolarSystemConfig;
  readonly settings?: LearningSettingsInput | undefined;
  readonly prompts?: PromptVariants | undefined;
  readonly promptTest?: PromptEvolutionSettingsInput | undefined;
  readonly fresh: boolean;
  /** Charges each refresh (outcomes recorded, parameters re-derived, experiments evaluated) to `learning`. */
  readonly timer?: RunTimer | undefined;
}): LearningSession {
  const learner = Learner.open({
    path: o.path,
    scope: o.scope,
    weights: o.agents.planets.weights,
    settings: o.settings,
    fresh: o.fresh,
  });
  const prompts = Object.entries(o.prompts ?? {});
  let evolution: PromptEvolution | null = null;
  try {
    if (prompts.length > 0) {
      evolution = PromptEvolution.open({ path: o.path, settings: o.promptTest ?? {} });
      for (const [promptId, variants] of prompts) {
        const id = experimentId(o.scope, promptId);
        if (o.fresh) evolution.forget(id);
        evolution.define(id, variants);
      }
    }
  } catch (err) {
    evolution?.close();
    learner.close();
    throw err;
  }
  const experiments = evolution;
  const sunExperiment = prompts.some(([id]) => id === 'sun.system')
    ? experimentId(o.scope, 'sun.system')
    : null;
  const feed = new LearningFeed(learner, o.agents.memory.horizonMs, (cycle, key, gain) => {
    const variant = cycle.reasoning?.promptVariant;
    if (experiments === null || sunExperiment === null || variant === undefined) return;
    experiments.recordOutcome(sunExperiment, variant, { key, value: gain, success: gain > 0 });
  });
  const refresh = (asOf: number) => {
    feed.flush(asOf);
    for (const [promptId] of prompts) experiments?.evaluate(experimentId(o.scope, promptId));
  };
  const timer = o.timer;
  const flush = timer === undefined ? refresh : (asOf: number) => timer.time('learning', () => refresh(asOf));
  let source: SunTuning = learner;
  const tuning: SunTuning = {
    weightOf: (planet) => source.weightOf(planet),
    riskMultiplier: (regime) => source.riskMultiplier(regime),
    promptVariant: (promptId, key) => {
      if (experiments === null || !prompts.some(([id]) => id === promptId)) return undefined;
      // Salted with the prompt id alone, so a replay (another run id) assigns every bar alike.
      const a = experiments.assign(experimentId(o.scope, promptId), key, promptId);
      return { variant: a.variant, text: a.text };
    },
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
            if (last > Number.NEGATIVE_INFINITY) flush(last);
            last = t;
          }
          const record = await inner.cycle(input);
          feed.observe(input.symbol, t, input.bar.close, record as LearningCycle);
          return record;
        },
        ...(inner.cycleMany === undefined
          ? {}
          : {
              cycleMany: async (inputs: readonly CycleInput[]) => {
                const t = Math.max(...inputs.map((i) => i.bar.time));
                if (t > last) {
                  if (last > Number.NEGATIVE_INFINITY) flush(last);
                  last = t;
                }
                const records = await inner.cycleMany!(inputs);
                for (const [i, input] of inputs.entries())
                  feed.observe(input.symbol, input.bar.time, input.bar.close, records[i] as LearningCycle);
                return records;
              },
            }),
        // An unscheduled cycle is no bar of its own: the learning loop sees the bar at its close.
        ...(inner.wake === undefined
          ? {}
          : { wake: (input: Parameters<NonNullable<typeof inner.wake>>[0]) => inner.wake!(input) }),
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
    close: () => {
      experiments?.close();
      learner.close();
    },
  };
}
