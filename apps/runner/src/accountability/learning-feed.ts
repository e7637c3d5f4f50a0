import type { Learner, LearningChange, OutcomeEvidenceInput } from '@orrery/agents';

/** The fields of a cycle record the learning loop reads (a subset of `@orrery/agents`' `CycleRecord`). */
export interface LearningCycle {
  readonly regime?: string | undefined;
  /** The sun's reasoning, with the prompt variant it used when an experiment ran. */
  readonly reasoning?: { readonly promptVariant?: string | undefined } | undefined;
  readonly decision: { readonly targetFraction: number };
  readonly planets: readonly {
    readonly planet: string;
    readonly status: string;
    readonly signal: number;
    readonly confidence: number;
  }[];
}

/** Called for each outcome as it comes due: the cycle, its key and its gain (`position × move`). */
export type OutcomeHook = (cycle: LearningCycle, key: string, gain: number) => void;

interface Pending {
  readonly symbol: string;
  readonly time: number;
  readonly close: number;
  readonly cycle: LearningCycle;
}

/**
 * Turns a run's cycles into the learning loop's outcomes: each cycle is kept with its bar's close until
 * its horizon has passed in market time, then its evidence — the planets' calls, the price move to the
 * last close at or before `time + horizon`, the position chosen, the regime — goes to the learner, and
 * the learner re-derives its parameters. Only closes already seen are used: no look-ahead.
 */
export class LearningFeed {
  readonly learner: Learner;
  readonly #horizonMs: number;
  readonly #pending: Pending[] = [];
  readonly #closes = new Map<string, { time: number[]; close: number[] }>();
  readonly #onDue: OutcomeHook | undefined;

  /**
   * @param horizonMs how long after a decision its outcome is measured (the agents' memory horizon).
   * @param onDue also told of each outcome (e.g. prompt experiments).
   */
  constructor(learner: Learner, horizonMs: number, onDue?: OutcomeHook) {
    this.learner = learner;
    this.#horizonMs = horizonMs;
    this.#onDue = onDue;
  }

  /** Learns a cycle and its bar's close (cycles of one symbol in time order). */
  observe(symbol: string, time: number, close: number, cycle: LearningCycle): void {
    let s = this.#closes.get(symbol);
    if (s === undefined) {
      s = { time: [], close: [] };
      this.#closes.set(symbol, s);
    }
    if (s.time.length > 0 && time <= (s.time.at(-1) as number)) return; // seen already
    s.time.push(time);
    s.close.push(close);
    this.#pending.push({ symbol, time, close, cycle });
  }

  /**
   * Records every outcome due at `asOf` (market time, epoch ms) and refreshes the learner's parameters.
   * @returns the parameter changes made.
   */
  flush(asOf: number): LearningChange[] {
    const due: OutcomeEvidenceInput[] = [];
    let kept = 0;
    for (const p of this.#pending) {
      const exit =
        p.time + this.#horizonMs <= asOf ? this.#closeAt(p.symbol, p.time + this.#horizonMs) : undefined;
      if (exit === undefined) {
        this.#pending[kept++] = p;
        continue;
      }
      const key = `${p.symbol}@${p.time}`;
      const move = exit / p.close - 1;
      this.#onDue?.(p.cycle, key, p.cycle.decision.targetFraction * move);
      due.push({
        key,
        symbol: p.symbol,
        time: p.time,
        ...(p.cycle.regime === undefined ? {} : { regime: p.cycle.regime }),
        move,
        position: p.cycle.decision.targetFraction,
        planets: p.cycle.planets
          .filter((r) => r.status === 'ok')
          .map((r) => ({ planet: r.planet, signal: r.signal, confidence: r.confidence })),
      });
    }
    this.#pending.length = kept;
    if (due.length > 0) this.learner.record(due);
    return this.learner.refresh(asOf);
  }

  /** Close of the last bar at or before `time`. */
  #closeAt(symbol: string, time: number): number | undefined {
    const s = this.#closes.get(symbol);
    if (s === undefined) return undefined;
    let lo = 0;
    let hi = s.time.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((s.time[mid] as number) <= time) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : s.close[found];
  }
}
