import type { Bar } from './bar.ts';
import { DropReason } from './check-bar.ts';
import type { FeedReportBuilder } from './feed-report.ts';
import { type OutlierOptions, reportGaps, screenOutliers } from './outliers.ts';
import { formatTime } from './parse-time.ts';

/** A bar that passed the row checks, with where it came from. */
export interface SourcedBar {
  readonly bar: Bar;
  /** 1-based source line, when there is a file. */
  readonly line: number | undefined;
  /** The time cell as written. */
  readonly rawTime: string;
}

/** How {@link cleanSeries} treats the edges of a series. */
export interface CleanOptions extends OutlierOptions {
  /** A hole longer than this many typical intervals is reported as a gap. Default 5. */
  readonly gapBars?: number;
  /** The last bar was taken before it closed: drop it as `partial-bar`. */
  readonly lastBarPartial?: boolean;
  /** Drop zero-volume bars instead of only counting them. Default false. */
  readonly dropZeroVolume?: boolean;
}

/**
 * Turns individually valid bars into a strictly increasing series, recording every row it drops:
 * 1. a file that runs newest first (its first time is after its last) is reversed;
 * 2. `duplicate-bar`: rows (with volume) whose OHLCV repeats another row's exactly under a later time —
 *    the later label is the copy, so the earliest is kept;
 * 3. walking in order, a row at the time of the last kept row is a `duplicate-time`, one before it is
 *    `out-of-order` (a misplaced row is refused, not moved: its time is not to be trusted);
 * 4. optionally the last bar as `partial-bar`;
 * 5. outliers ({@link screenOutliers}): dropped or kept per `outliers`, always reported;
 * 6. optionally zero-volume bars; then gaps longer than `gapBars` intervals are reported.
 */
export function cleanSeries(
  rows: readonly SourcedBar[],
  report: FeedReportBuilder,
  opts: CleanOptions = {},
): Bar[] {
  let ordered = rows;
  const firstRow = rows[0];
  const lastRow = rows.at(-1);
  if (firstRow && lastRow && firstRow.bar.time > lastRow.bar.time) {
    ordered = [...rows].reverse();
    report.newestFirst = true;
  }

  const kept = dropRepeats(ordered, report);

  if (opts.lastBarPartial) {
    const last = kept.pop();
    if (last)
      report.drop(DropReason.PARTIAL_BAR, {
        line: last.line,
        time: last.rawTime,
        detail: 'the source was taken before this bar closed',
      });
  }

  const out: Bar[] = [];
  for (const r of screenOutliers(kept, report, opts)) {
    if (r.bar.volume === 0) {
      const example = { line: r.line, time: r.rawTime, detail: `volume 0 at close ${r.bar.close}` };
      report.zeroVolume(example);
      if (opts.dropZeroVolume) {
        report.drop(DropReason.ZERO_VOLUME, example);
        continue;
      }
    }
    out.push(r.bar);
  }
  reportGaps(out, report, opts.gapBars);
  return out;
}

/**
 * Steps 2 and 3 of {@link cleanSeries} over rows in time order: a relabelled copy of an earlier bar is a
 * `duplicate-bar`, a row at the last kept row's time a `duplicate-time`, one before it `out-of-order`.
 */
function dropRepeats(ordered: readonly SourcedBar[], report: FeedReportBuilder): SourcedBar[] {
  const earliest = new Map<string, SourcedBar>();
  for (const r of ordered) {
    if (r.bar.volume <= 0) continue;
    const key = contentKey(r.bar);
    const seen = earliest.get(key);
    if (!seen || r.bar.time < seen.bar.time) earliest.set(key, r);
  }

  const kept: SourcedBar[] = [];
  for (const r of ordered) {
    if (r.bar.volume > 0) {
      const original = earliest.get(contentKey(r.bar))!;
      if (original.bar.time !== r.bar.time) {
        report.drop(DropReason.DUPLICATE_BAR, {
          line: r.line,
          time: r.rawTime,
          detail: `same OHLCV as the bar at ${formatTime(original.bar.time, false)}${at(original.line)}`,
        });
        continue;
      }
    }
    const prev = kept.at(-1);
    if (prev && r.bar.time <= prev.bar.time) {
      const same = r.bar.time === prev.bar.time;
      report.drop(same ? DropReason.DUPLICATE_TIME : DropReason.OUT_OF_ORDER, {
        line: r.line,
        time: r.rawTime,
        detail: same
          ? `time already used${at(prev.line)}`
          : `${formatTime(r.bar.time, false)} comes after ${formatTime(prev.bar.time, false)}${at(prev.line)}`,
      });
      continue;
    }
    kept.push(r);
  }
  return kept;
}

function contentKey(b: Bar): string {
  return `${b.open}|${b.high}|${b.low}|${b.close}|${b.volume}`;
}

function at(line: number | undefined): string {
  return line === undefined ? '' : ` (line ${line})`;
}
