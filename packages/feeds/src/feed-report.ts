import type { DropReason } from './check-bar.ts';
import { formatTime } from './parse-time.ts';

/** One refused (or flagged) row, kept as an example in a {@link FeedReport}. */
export interface RowExample {
  /** 1-based line in the source file; undefined for a live feed. */
  readonly line: number | undefined;
  /** The row's time as written in the source. */
  readonly time: string;
  /** What was wrong, naming the values. */
  readonly detail: string;
}

/** How many rows one reason concerned, with up to {@link MAX_EXAMPLES} examples. */
export interface ReasonCount {
  readonly count: number;
  readonly examples: readonly RowExample[];
}

/** Examples kept per reason. */
export const MAX_EXAMPLES = 3;

/** What a loader kept, dropped and why. Returned next to the bars; never silently discarded. */
export interface FeedReport {
  /** File path or feed name. */
  readonly source: string;
  /** Data rows read (header and banner lines excluded). */
  readonly rowsRead: number;
  /** Bars kept, in time order. */
  readonly kept: number;
  /** Rows dropped, all reasons together. */
  readonly droppedTotal: number;
  /** Rows dropped, by reason. */
  readonly dropped: Readonly<Partial<Record<DropReason, ReasonCount>>>;
  /** Bars with zero volume: kept (real quiet hours) unless the loader was told to drop them, but counted. */
  readonly zeroVolume: ReasonCount;
  /** The file was newest first and has been reversed. */
  readonly newestFirst: boolean;
  /** Lines before the header (banners) that were skipped. */
  readonly preambleLines: number;
  /** First and last kept bar times (epoch ms), when any bar was kept. */
  readonly first: number | undefined;
  readonly last: number | undefined;
  /** The time format the file was read with (`undefined`: ISO dates or epoch numbers), and whether detected. */
  readonly timeFormat?: { readonly format: string; readonly detected: boolean } | undefined;
  /** The delimiter, when not a comma. */
  readonly delimiter?: string | undefined;
  /** Rows of a multi-asset file before this symbol's first price (not listed yet): skipped, not bad. */
  readonly beforeListing?: number | undefined;
  /** Holes in the series longer than `gapBars` typical intervals (reported, never filled). */
  readonly gaps?: GapReport | undefined;
  /**
   * Bars flagged as outliers (absurd magnitude, or a spike beyond the jump threshold that comes straight
   * back) and what was done with them: `drop` (also counted in `dropped.outlier`) or `keep`.
   */
  readonly outliers?: (ReasonCount & { readonly action: 'drop' | 'keep' }) | undefined;
  /** Level jumps beyond the threshold that persist (kept: a split or a real move; check them). */
  readonly jumps?: ReasonCount | undefined;
}

/** Holes in a series: how many, the typical interval and the longest, with examples. */
export interface GapReport {
  readonly count: number;
  /** The median interval between bars, ms. */
  readonly typicalMs: number;
  /** The longest hole, ms. */
  readonly longestMs: number;
  /** Up to {@link MAX_EXAMPLES} holes, longest first: the bars either side (epoch ms). */
  readonly examples: readonly { readonly from: number; readonly to: number }[];
}

/** Accumulates a {@link FeedReport}. */
export class FeedReportBuilder {
  readonly #source: string;
  readonly #dropped = new Map<DropReason, { count: number; examples: RowExample[] }>();
  readonly #zero = { count: 0, examples: [] as RowExample[] };
  rowsRead = 0;
  newestFirst = false;
  preambleLines = 0;
  timeFormat: FeedReport['timeFormat'];
  delimiter: string | undefined;
  beforeListing = 0;
  gaps: GapReport | undefined;
  outlierAction: 'drop' | 'keep' = 'drop';
  readonly #outliers = { count: 0, examples: [] as RowExample[] };
  readonly #jumps = { count: 0, examples: [] as RowExample[] };

  constructor(source: string) {
    this.#source = source;
  }

  /** Counts one dropped row. */
  drop(reason: DropReason, example: RowExample): void {
    let entry = this.#dropped.get(reason);
    if (!entry) {
      entry = { count: 0, examples: [] };
      this.#dropped.set(reason, entry);
    }
    entry.count++;
    if (entry.examples.length < MAX_EXAMPLES) entry.examples.push(example);
  }

  /** Counts one zero-volume bar. */
  zeroVolume(example: RowExample): void {
    this.#zero.count++;
    if (this.#zero.examples.length < MAX_EXAMPLES) this.#zero.examples.push(example);
  }

  /** Counts one outlier (dropped or kept, per {@link FeedReportBuilder.outlierAction}). */
  outlier(example: RowExample): void {
    this.#outliers.count++;
    if (this.#outliers.examples.length < MAX_EXAMPLES) this.#outliers.examples.push(example);
  }

  /** Counts one persistent level jump (kept). */
  jump(example: RowExample): void {
    this.#jumps.count++;
    if (this.#jumps.examples.length < MAX_EXAMPLES) this.#jumps.examples.push(example);
  }

  /** Rows dropped so far. */
  get droppedTotal(): number {
    let n = 0;
    for (const e of this.#dropped.values()) n += e.count;
    return n;
  }

  /** The report for a series of kept bars (in time order). */
  build(bars: readonly { time: number }[]): FeedReport {
    return this.buildCounts(bars.length, bars[0]?.time, bars.at(-1)?.time);
  }

  /** The report when only the count and the first and last kept times are at hand (a stream). */
  buildCounts(kept: number, first: number | undefined, last: number | undefined): FeedReport {
    return {
      source: this.#source,
      rowsRead: this.rowsRead,
      kept,
      droppedTotal: this.droppedTotal,
      dropped: Object.fromEntries(this.#dropped),
      zeroVolume: { count: this.#zero.count, examples: [...this.#zero.examples] },
      newestFirst: this.newestFirst,
      preambleLines: this.preambleLines,
      first,
      last,
      ...(this.timeFormat === undefined ? {} : { timeFormat: this.timeFormat }),
      ...(this.delimiter === undefined || this.delimiter === ',' ? {} : { delimiter: this.delimiter }),
      ...(this.beforeListing === 0 ? {} : { beforeListing: this.beforeListing }),
      ...(this.gaps === undefined || this.gaps.count === 0 ? {} : { gaps: this.gaps }),
      ...(this.#outliers.count === 0
        ? {}
        : {
            outliers: {
              ...this.#outliers,
              examples: [...this.#outliers.examples],
              action: this.outlierAction,
            },
          }),
      ...(this.#jumps.count === 0 ? {} : { jumps: { ...this.#jumps, examples: [...this.#jumps.examples] } }),
    };
  }
}

/** A few human lines: what was kept, the span, and every drop reason with one example. */
export function formatFeedReport(r: FeedReport): string {
  const span = r.first === undefined ? '' : ` (${formatTime(r.first)} .. ${formatTime(r.last ?? r.first)})`;
  const lines = [`${r.source}: kept ${r.kept} of ${r.rowsRead} rows${span}`];
  if (r.preambleLines > 0) lines.push(`  skipped ${r.preambleLines} banner line(s) before the header`);
  if (r.delimiter !== undefined)
    lines.push(`  delimiter ${r.delimiter === '\t' ? 'tab' : `'${r.delimiter}'`}`);
  if (r.timeFormat)
    lines.push(`  time format ${r.timeFormat.format}${r.timeFormat.detected ? ' (detected)' : ''}`);
  if (r.beforeListing) lines.push(`  skipped ${r.beforeListing} row(s) before the symbol's first price`);
  if (r.newestFirst) lines.push('  file is newest first: reversed');
  for (const [reason, c] of Object.entries(r.dropped)) {
    const ex = c.examples[0];
    const where = ex
      ? ` — e.g. ${ex.line === undefined ? '' : `line ${ex.line} `}${ex.time}: ${ex.detail}`
      : '';
    lines.push(`  dropped ${c.count} ${reason}${where}`);
  }
  if (r.zeroVolume.count > 0)
    lines.push(`  ${r.zeroVolume.count} zero-volume bar(s) kept (no trades in them)`);
  if (r.outliers) {
    const ex = r.outliers.examples[0];
    lines.push(
      `  ${r.outliers.count} outlier(s) ${r.outliers.action === 'drop' ? 'dropped' : 'KEPT'}` +
        (ex ? ` — e.g. ${ex.line === undefined ? '' : `line ${ex.line} `}${ex.time}: ${ex.detail}` : ''),
    );
  }
  if (r.jumps) {
    const ex = r.jumps.examples[0];
    lines.push(
      `  ${r.jumps.count} level jump(s) kept (a split or a real move?)` +
        (ex ? ` — e.g. ${ex.line === undefined ? '' : `line ${ex.line} `}${ex.time}: ${ex.detail}` : ''),
    );
  }
  if (r.gaps) {
    const g = r.gaps;
    const ex = g.examples[0];
    lines.push(
      `  ${g.count} gap(s) longer than usual (typical bar ${formatSpan(g.typicalMs)}, longest ${formatSpan(g.longestMs)}` +
        (ex ? ` from ${formatTime(ex.from)} to ${formatTime(ex.to)})` : ')'),
    );
  }
  return lines.join('\n');
}

/** `3 d`, `5 h`, `15 min`, `30 s`: a duration in its largest whole unit. */
export function formatSpan(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['min', 60_000],
  ] as const)
    if (ms >= size) return `${Math.round((ms / size) * 10) / 10} ${unit}`;
  return `${Math.round(ms / 1000)} s`;
}
