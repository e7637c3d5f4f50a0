/** The phases a run's wall time is charged to (`other`: loading data, opening stores, anything between). */
export const RUN_PHASES = ['loop', 'counterfactual', 'learning', 'report', 'other'] as const;

/** One of {@link RUN_PHASES}. */
export type RunPhase = (typeof RUN_PHASES)[number];

/** Where a run's time went, ms per phase; the phases add up to `totalMs`. */
export interface RunTiming {
  readonly totalMs: number;
  readonly phases: Readonly<Record<RunPhase, number>>;
}

const isPromiseLike = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

/**
 * Accumulates a run's elapsed time per phase from an injected clock (ms; default `performance.now`); it
 * never waits. Exactly one phase is current at any time (`other` until a {@link RunTimer.time} call);
 * a phase entered inside another (learning inside the loop or inside the counterfactual) is charged to
 * itself only, so the phases add up to the total. The clock is read once per phase switch, while
 * {@link RunTimer.phase} still names the phase being left (a test's clock may advance by it).
 */
export class RunTimer {
  readonly #clock: () => number;
  readonly #ms: Record<RunPhase, number> = { loop: 0, counterfactual: 0, learning: 0, report: 0, other: 0 };
  readonly #start: number;
  #since: number;
  #phase: RunPhase = 'other';

  constructor(clock: () => number = () => performance.now()) {
    this.#clock = clock;
    this.#start = clock();
    this.#since = this.#start;
  }

  /** The phase being charged now. */
  get phase(): RunPhase {
    return this.#phase;
  }

  /**
   * Runs `fn` charged to `phase`; when `fn` returns a promise the phase lasts until it settles. The
   * phase current before is resumed afterwards, also when `fn` throws.
   */
  time<T>(phase: RunPhase, fn: () => T): T {
    const before = this.#phase;
    this.#switch(phase);
    let pending = false;
    try {
      const result = fn();
      if (!isPromiseLike(result)) return result;
      pending = true;
      return Promise.resolve(result).finally(() => this.#switch(before)) as T;
    } finally {
      if (!pending) this.#switch(before);
    }
  }

  /** The figures so far (the current phase charged up to now). */
  snapshot(): RunTiming {
    this.#switch(this.#phase);
    const phases = { ...this.#ms };
    return { totalMs: RUN_PHASES.reduce((sum, p) => sum + phases[p], 0), phases };
  }

  #switch(to: RunPhase): void {
    const now = this.#clock();
    // A clock that steps back (a fake one, a badly adjusted one) charges nothing rather than a negative.
    this.#ms[this.#phase] += Math.max(0, now - this.#since);
    this.#since = now;
    this.#phase = to;
  }
}

/** A phase's share of the run above which the summary says it took more than its share (25 %). */
export const PHASE_SHARE_LIMIT = 0.25;

/** The optional phases that can take more than their share, and the setting that turns each off. */
export const PHASE_SWITCHES: Readonly<Partial<Record<RunPhase, string>>> = {
  counterfactual: 'run.counterfactual: false',
  learning: 'learning: false (or --learning off)',
};

/** A phase that took more than {@link PHASE_SHARE_LIMIT} of the run, with the setting that turns it off. */
export interface OverShare {
  readonly phase: RunPhase;
  readonly share: number;
  readonly turnOff: string;
}

/** The optional phases (counterfactual, learning) that took more than their share of the run. */
export function overShare(t: RunTiming, limit = PHASE_SHARE_LIMIT): OverShare[] {
  if (t.totalMs <= 0) return [];
  return RUN_PHASES.flatMap((phase) => {
    const turnOff = PHASE_SWITCHES[phase];
    const share = t.phases[phase] / t.totalMs;
    return turnOff !== undefined && share > limit ? [{ phase, share, turnOff }] : [];
  });
}

const seconds = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const share = (part: number, total: number) => `${total > 0 ? Math.round((part / total) * 100) : 0} %`;

/**
 * The summary's timing line: `Time  12.3 s: loop 9.1 s (74 %), counterfactual …, other … (n %)`, and
 * for each optional phase above its share, what it took and the setting that turns it off.
 */
export function formatTiming(t: RunTiming): string {
  const parts = RUN_PHASES.map((p) => `${p} ${seconds(t.phases[p])} (${share(t.phases[p], t.totalMs)})`);
  const warnings = overShare(t).map(
    (o) =>
      `; ${o.phase} took ${share(o.share, 1)} of the run, more than its share ` +
      `(${share(PHASE_SHARE_LIMIT, 1)}): ${o.turnOff} turns it off`,
  );
  return `Time  ${seconds(t.totalMs)}: ${parts.join(', ')}${warnings.join('')}`;
}

/** The timing as `--json` carries it: ms per phase, and the phases above their share. */
export function timingJson(t: RunTiming) {
  return {
    totalMs: t.totalMs,
    phasesMs: { ...t.phases },
    shareLimitPct: PHASE_SHARE_LIMIT * 100,
    overShare: overShare(t).map((o) => ({ phase: o.phase, pct: o.share * 100, turnOff: o.turnOff })),
  };
}
