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
}

/** Accumulates a {@link FeedReport}. */
export class FeedReportBuilder {
  readonly #source: string;
  readonly #dropped = new Map<DropReason, { count: number; examples: RowExample[] }>();
  readonly #zero = { count: 0, examples: [] as RowExample[] };
  rowsRead = 0;
  newestFirst = false;
  preambleLines = 0;

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
    };
  }
}

/** A few human lines: what was kept, the span, and every drop reason with one example. */
export function formatFeedReport(r: FeedReport): string {
  const span = r.first === undefined ? '' : ` (${formatTime(r.first)} .. ${formatTime(r.last ?? r.first)})`;
  const lines = [`${r.source}: kept ${r.kept} of ${r.rowsRead} rows${span}`];
  if (r.preambleLines > 0) lines.push(`  skipped ${r.preambleLines} banner line(s) before the header`);
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
  return lines.join('\n');
}
