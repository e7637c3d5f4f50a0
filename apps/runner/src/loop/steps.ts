import type { Bar } from '@orrery/agents';

/** All bars that share one time, one per symbol: the unit the loop commits. */
export interface Step {
  readonly time: number;
  readonly bars: readonly { readonly symbol: string; readonly bar: Bar }[];
  /**
   * Set on a poll between bar closes (`orrery run` with `run.intrabar`): `bars` are still forming, read
   * at `time`. Such a step may wake the agents (see `intrabarStep`) and is never a bar of its own.
   */
  readonly intrabar?: true | undefined;
}

/**
 * Merges per-symbol series (each in time order) into steps in time order; within a step, symbols keep
 * the order they were given in. Optional `from`/`to` (inclusive, epoch ms) cut the range.
 */
export function mergeSeries(
  series: readonly { symbol: string; bars: readonly Bar[] }[],
  range: { from?: number | undefined; to?: number | undefined } = {},
): Step[] {
  const byTime = new Map<number, { symbol: string; bar: Bar }[]>();
  for (const s of series) {
    for (const bar of s.bars) {
      if (range.from !== undefined && bar.time < range.from) continue;
      if (range.to !== undefined && bar.time > range.to) continue;
      let list = byTime.get(bar.time);
      if (!list) {
        list = [];
        byTime.set(bar.time, list);
      }
      list.push({ symbol: s.symbol, bar });
    }
  }
  return [...byTime.keys()].sort((a, b) => a - b).map((time) => ({ time, bars: byTime.get(time)! }));
}
