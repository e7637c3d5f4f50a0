import type { StoredCycle } from '@orrery/broker';
import type { EpisodicMemory } from '@orrery/memory';

type OutcomeMemory = Pick<EpisodicMemory, 'pendingOutcomes' | 'writeOutcome'>;

interface Pending {
  readonly close: number;
  /** Position the decision chose, fraction of equity. */
  readonly target: number;
  /** Position held before it, fraction of equity. */
  readonly before: number;
}

/**
 * Closes the learning loop: once an episode the sun recorded is due (its time + horizon has passed in
 * market time), writes what came of it. `return` is the chosen position's gain over the horizon as a
 * fraction of equity (`target × price move`); `alpha` is what the decision added over keeping the
 * position it found (`(target − before) × price move`). Only episodes of this run's cycles are written.
 */
export class OutcomeWriter {
  readonly #memory: OutcomeMemory;
  readonly #pending = new Map<string, Pending>();
  readonly #closes = new Map<string, { time: number[]; close: number[] }>();

  constructor(memory: OutcomeMemory) {
    this.#memory = memory;
  }

  /** Learns a bar's close and, when the cycle reasoned, the decision taken on it. */
  observe(cycle: StoredCycle, close: number): void {
    let series = this.#closes.get(cycle.symbol);
    if (!series) {
      series = { time: [], close: [] };
      this.#closes.set(cycle.symbol, series);
    }
    series.time.push(cycle.time);
    series.close.push(close);
    const record = cycle.record as { decision?: { targetFraction?: number } };
    const portfolio = cycle.portfolio as { equity: number; positions: Record<string, { qty: number }> };
    const target = record.decision?.targetFraction;
    if (typeof target !== 'number' || !Number.isFinite(target)) return;
    const qty = portfolio.positions[cycle.symbol]?.qty ?? 0;
    this.#pending.set(`${cycle.symbol}@${cycle.time}`, {
      close,
      target,
      before: portfolio.equity > 0 ? (qty * close) / portfolio.equity : 0,
    });
  }

  /**
   * Writes every outcome due at `asOf` (market time, epoch ms) for this run's episodes.
   *
   * @returns how many were written.
   */
  flush(asOf: number): number {
    let written = 0;
    for (const episode of this.#memory.pendingOutcomes(asOf, 100_000)) {
      const p = this.#pending.get(episode.id);
      const exit = this.#closeAt(episode.symbol, episode.time + episode.horizonMs);
      if (!p || exit === undefined) continue;
      const move = exit / p.close - 1;
      this.#memory.writeOutcome(episode.id, {
        return: p.target * move,
        alpha: (p.target - p.before) * move,
        horizonMs: episode.horizonMs,
      });
      this.#pending.delete(episode.id);
      written++;
    }
    return written;
  }

  /** Close of the last bar at or before `time`. */
  #closeAt(symbol: string, time: number): number | undefined {
    const s = this.#closes.get(symbol);
    if (!s) return undefined;
    let lo = 0;
    let hi = s.time.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s.time[mid]! <= time) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? undefined : s.close[found];
  }
}
