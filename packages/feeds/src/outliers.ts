import type { Bar } from './bar.ts';
import { DropReason } from './check-bar.ts';
import type { SourcedBar } from './clean-series.ts';
import type { FeedReportBuilder } from './feed-report.ts';
import { formatTime } from './parse-time.ts';

/** No traded asset's price per unit reaches this; a price at or above it is a corrupt cell. */
export const ABSURD_PRICE = 1e12;
/** Nor does any bar's volume. */
export const ABSURD_VOLUME = 1e20;
/** Default jump threshold, as a multiple of the recent typical absolute log return. */
export const DEFAULT_OUTLIER_JUMP_MULTIPLE = 10;
/** A move smaller than this (log return ≈ 16 %) is never called a jump, however quiet the series was. */
const MIN_JUMP = 0.15;
/** Returns the typical move is measured over. */
const WINDOW = 20;
/** Returns needed before the jump rule applies. */
const MIN_HISTORY = 5;

/** How {@link screenOutliers} treats what it flags. */
export interface OutlierOptions {
  /** `drop` (default): flagged bars are dropped as `outlier`; `keep`: kept, and still reported. */
  readonly outliers?: 'drop' | 'keep' | undefined;
  /** Jump threshold as a multiple of the recent typical absolute log return (default 10). */
  readonly outlierJumpMultiple?: number | undefined;
}

/**
 * Flags bars no real market printed, never silently: a price ≥ {@link ABSURD_PRICE} or a volume ≥
 * {@link ABSURD_VOLUME}, and a spike — a close that jumps from the last kept close by more than the
 * threshold (`outlierJumpMultiple` × the mean absolute log return of the last 20 bars, and at least a
 * 16 % move) and whose next close comes back within the threshold of where it left. A jump that persists
 * (a split, a crash) is kept and reported as a level jump. Flagged bars are dropped (reason `outlier`) or
 * kept, per `outliers`; either way the report counts them.
 */
export function screenOutliers(
  rows: readonly SourcedBar[],
  report: FeedReportBuilder,
  opts: OutlierOptions = {},
): SourcedBar[] {
  const drop = (opts.outliers ?? 'drop') === 'drop';
  const k = opts.outlierJumpMultiple ?? DEFAULT_OUTLIER_JUMP_MULTIPLE;
  report.outlierAction = drop ? 'drop' : 'keep';
  const out: SourcedBar[] = [];
  const moves: number[] = [];
  const flag = (r: SourcedBar, detail: string) => {
    const example = { line: r.line, time: r.rawTime, detail };
    report.outlier(example);
    if (drop) report.drop(DropReason.OUTLIER, example);
    else out.push(r);
  };
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const absurd = absurdField(r.bar);
    if (absurd) {
      flag(r, absurd);
      continue;
    }
    const prev = lastSane(out);
    if (prev === undefined) {
      out.push(r);
      continue;
    }
    const move = Math.log(r.bar.close / prev.bar.close);
    const recent = moves.slice(-WINDOW);
    if (recent.length >= MIN_HISTORY) {
      const typical = recent.reduce((a, b) => a + Math.abs(b), 0) / recent.length;
      const threshold = Math.max(k * typical, MIN_JUMP);
      if (Math.abs(move) > threshold) {
        const next = rows[i + 1];
        const back = next === undefined ? undefined : Math.log(next.bar.close / prev.bar.close);
        const ratio = r.bar.close / prev.bar.close;
        const what = `close ${r.bar.close} is ${fmtRatio(ratio)} the close before it (${prev.bar.close} at ${formatTime(prev.bar.time, false)})`;
        if (back !== undefined && Math.abs(back) <= threshold && !absurdField(next!.bar)) {
          flag(r, `${what} and the next bar comes back: a spike`);
          continue;
        }
        report.jump({ line: r.line, time: r.rawTime, detail: what });
      }
    }
    moves.push(move);
    out.push(r);
  }
  return out;
}

function lastSane(rows: readonly SourcedBar[]): SourcedBar | undefined {
  for (let i = rows.length - 1; i >= 0; i--) if (!absurdField(rows[i]!.bar)) return rows[i];
  return undefined;
}

function absurdField(b: Bar): string | undefined {
  for (const [name, v] of [
    ['open', b.open],
    ['high', b.high],
    ['low', b.low],
    ['close', b.close],
  ] as const)
    if (v >= ABSURD_PRICE) return `${name} ${v} is not a price (≥ ${ABSURD_PRICE})`;
  if (b.volume >= ABSURD_VOLUME) return `volume ${b.volume} is not a volume (≥ ${ABSURD_VOLUME})`;
  return undefined;
}

function fmtRatio(r: number): string {
  return r >= 1 ? `${r >= 10 ? Math.round(r) : r.toFixed(2)}×` : `1/${Math.round(1 / r)} of`;
}

/**
 * Finds holes longer than `gapBars` × the median interval between bars and records them in the report
 * (nothing is filled or dropped).
 */
export function reportGaps(bars: readonly Bar[], report: FeedReportBuilder, gapBars = 5): void {
  if (bars.length < 3) return;
  const steps: number[] = [];
  for (let i = 1; i < bars.length; i++) steps.push(bars[i]!.time - bars[i - 1]!.time);
  const typical = [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)]!;
  const holes: { from: number; to: number }[] = [];
  for (let i = 1; i < bars.length; i++)
    if (steps[i - 1]! > gapBars * typical) holes.push({ from: bars[i - 1]!.time, to: bars[i]!.time });
  if (holes.length === 0) return;
  holes.sort((a, b) => b.to - b.from - (a.to - a.from));
  report.gaps = {
    count: holes.length,
    typicalMs: typical,
    longestMs: holes[0]!.to - holes[0]!.from,
    examples: holes.slice(0, 3),
  };
}
