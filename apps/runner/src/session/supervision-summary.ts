import { formatTime } from '@orrery/feeds';
import type { CycleDigest } from './cycle-digest.ts';

interface FaultLike {
  readonly child?: unknown;
  readonly verdict?: unknown;
  readonly error?: unknown;
}

/**
 * One line per child that supervision stopped for good during a run, from its cycle records: which
 * child of which symbol, at which bar, after how many restarts, and its last error. Empty when none was.
 *
 * @example "supervision stopped planet:words on BTC at 2020-02-05 after 3 restarts (last error: …)"
 */
export function stoppedChildren(
  cycles: readonly Pick<CycleDigest, 'symbol' | 'time' | 'faults'>[],
): string[] {
  const restarts = new Map<string, number>();
  const lines: string[] = [];
  for (const c of cycles) {
    const faults: readonly FaultLike[] = c.faults ?? [];
    for (const f of faults) {
      const key = `${c.symbol}\u0000${String(f.child)}`;
      if (f.verdict === 'restart') restarts.set(key, (restarts.get(key) ?? 0) + 1);
      if (f.verdict !== 'stop') continue;
      const n = restarts.get(key) ?? 0;
      lines.push(
        `supervision stopped ${String(f.child)} on ${c.symbol} at ${formatTime(c.time)} after ${n} restart${n === 1 ? '' : 's'} (last error: ${String(f.error).slice(0, 200)})`,
      );
    }
  }
  return lines;
}
