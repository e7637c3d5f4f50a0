import { resolve } from 'node:path';
import {
  type CycleRecord,
  Learner,
  type LearningSettingsInput,
  PromptEvolution,
  type PromptEvolutionSettingsInput,
  type SharedConnection,
  type SolarSystemConfig,
  type SunTuning,
  TuningTimeline,
} from '@orrery/agents';
import type { StoredCycle } from '@orrery/broker';
import type Database from 'better-sqlite3';
import type { CycleInput, Strategy } from '../loop/strategy.ts';
import type { RunTimer } from '../session/run-timer.ts';
import { type LearningCycle, LearningFeed } from './learning-feed.ts';

/** The learning loop of one run, plugged into its agents and its loop. */
export interface LearningSession {
  readonly learner: Learner;
  /** What the solar system reads its planet weights and regime playbook from (`tuning`). */
  readonly tuning: SunTuning;
  /**
   * Wraps the run's strategy: each cycle is observed; when a step commits (`commit`, in its transaction),
   * the outcomes due by then go to the learner and its parameters are refreshed, so they apply from the
   * next step on. Warm-up bars of a resumed run (`stored`: its cycles so far) are re-run with the
   * parameters they were decided with and their cycles observed again; the first cycle after them
   * redoes the last step's refresh (a no-op when it committed with the step).
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
  /**
   * The run ledger's connection: the learning file is attached to it, so that what a step's commit
   * writes to both files is one transaction. Absent: the learning file gets a connection of its own.
   */
  readonly ledgerDb?: Database.Database | undefined;
}): LearningSession {
  const attached = o.ledgerDb === undefined ? undefined : attachLearning(o.ledgerDb, o.path);
  const target = attached?.target ?? o.path;
  const learner = Learner.open({
    path: target,
    scope: o.scope,
    weights: o.agents.planets.weights,
    settings: o.settings,
    fresh: o.fresh,
  });
  const prompts = Object.entries(o.prompts ?? {});
  let evolution: PromptEvolution | null = null;
  try {
    if (prompts.length > 0) {
      evolution = PromptEvolution.open({ path: target, settings: o.promptTest ?? {} });
      for (const [promptId, variants] of prompts) {
        const id = experimentId(o.scope, promptId);
        if (o.fresh) evolution.forget(id);
        evolution.define(id, variants);
      }
    }
  } catch (err) {
    evolution?.close();
    learner.close();
    attached?.detach();
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
      // `last`: the latest bar seen (traded or warm); `flushed`: the latest bar whose outcomes were recorded.
      let last = Number.NEGATIVE_INFINITY;
      let flushed = Number.NEGATIVE_INFINITY;
      const flushThrough = (t: number) => {
        flush(t);
        flushed = t;
      };
      // A resumed run's warm-up ends unflushed: its last step's refresh is redone (idempotent) first.
      const enter = (t: number) => {
        if (t > last && last > flushed) flushThrough(last);
        last = Math.max(last, t);
      };
      return {
        cycle: async (input) => {
          enter(input.bar.time);
          const record = await inner.cycle(input);
          feed.observe(input.symbol, input.bar.time, input.bar.close, record as LearningCycle);
          return record;
        },
        ...(inner.cycleMany === undefined
          ? {}
          : {
              cycleMany: async (inputs: readonly CycleInput[]) => {
                enter(Math.max(...inputs.map((i) => i.bar.time)));
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
        // In the step's transaction: the outcomes due by `time` and the refresh they cause.
        commit: (time) => {
          last = Math.max(last, time);
          flushThrough(time);
        },
        stop: () => inner.stop(),
      };
    },
    close: () => {
      experiments?.close();
      learner.close();
      attached?.detach();
    },
  };
}

const SCHEMA_NAME = 'learning';

/**
 * Attaches the learning file at `path` to the ledger connection `db` as schema `learning` (WAL, like the
 * ledger), or uses the ledger's own schema when both are one file. SQLite commits a transaction across
 * attached WAL files file by file, the main (ledger) file first: see DESIGN.md on what kill -9 leaves.
 */
function attachLearning(
  db: Database.Database,
  path: string,
): { target: SharedConnection; detach: () => void } {
  if (path !== ':memory:' && db.name !== ':memory:' && resolve(db.name) === resolve(path))
    return { target: { db, schema: 'main' }, detach: () => undefined };
  db.prepare(`ATTACH DATABASE ? AS ${SCHEMA_NAME}`).run(path);
  if (path !== ':memory:') db.pragma(`${SCHEMA_NAME}.journal_mode = WAL`);
  db.pragma(`${SCHEMA_NAME}.synchronous = NORMAL`);
  return {
    target: { db, schema: SCHEMA_NAME },
    detach: () => {
      if (db.open && !db.inTransaction) db.exec(`DETACH DATABASE ${SCHEMA_NAME}`);
    },
  };
}
