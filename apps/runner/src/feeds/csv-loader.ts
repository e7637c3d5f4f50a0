import { readFileSync } from 'node:fs';
import { FeedError, RunnerErrorCode } from '../errors.ts';
import type { Bar } from './bar.ts';
import { checkBar, DropReason, parseNumber } from './check-bar.ts';
import { type CleanOptions, cleanSeries, type SourcedBar } from './clean-series.ts';
import { readCsvRecords } from './csv-records.ts';
import { type FeedReport, FeedReportBuilder, formatFeedReport } from './feed-report.ts';
import { parseTime } from './parse-time.ts';

/** The bar fields a CSV column can map to. `time` and `close` are required; the rest are optional. */
export const BAR_FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const;

/** One of {@link BAR_FIELDS}. */
export type BarField = (typeof BAR_FIELDS)[number];

/** Header name (case-insensitive) for each bar field; fields left out are detected from the header. */
export type ColumnMapping = Partial<Record<BarField, string>>;

/** Header names tried, in order, for fields the mapping leaves out. */
const CANDIDATES: Record<BarField, readonly string[]> = {
  time: ['time', 'date', 'datetime', 'timestamp', 'date_time', 'open_time', 'opentime', 'dt'],
  open: ['open', 'o'],
  high: ['high', 'h'],
  low: ['low', 'l'],
  close: ['close', 'c', 'price', 'last'],
  volume: ['volume', 'vol', 'v'],
};

/** Records searched for the header row (banner lines may precede it). */
const HEADER_SEARCH = 10;

/** Options of {@link loadCsvFile} and {@link parseCsvBars}. */
export interface CsvLoadOptions extends CleanOptions {
  /** Column names for some or all fields; the others are detected from the header. */
  readonly columns?: ColumnMapping;
  /**
   * Fraction of data rows that may be dropped before the whole file is refused (a wrong column mapping or
   * time format shows up as most rows dropped). Default 0.2.
   */
  readonly maxDroppedFraction?: number;
}

/** Bars in time order, what was dropped and why, and the columns that were used. */
export interface LoadedSeries {
  readonly bars: Bar[];
  readonly report: FeedReport;
  /** The header name used for each field; null when the field was absent (copied from close, volume 0). */
  readonly columns: Readonly<Record<BarField, string | null>>;
}

/**
 * Reads a CSV file of OHLCV rows. See {@link parseCsvBars}.
 *
 * @throws FeedError `ORRERY_FEED_FILE` when the file cannot be read, and whatever {@link parseCsvBars} throws.
 */
export function loadCsvFile(path: string, opts: CsvLoadOptions = {}): LoadedSeries {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FeedError(RunnerErrorCode.FEED_FILE, path, `cannot read the file (${(err as Error).message})`, {
      cause: err,
    });
  }
  return parseCsvBars(text, path, opts);
}

/**
 * Parses CSV text into bars: finds the header (skipping banner lines), maps columns, checks every row
 * ({@link checkBar}), then orders and de-duplicates the series ({@link cleanSeries}). Missing open, high
 * or low columns are copied from close; a missing volume column gives volume 0.
 *
 * @throws FeedError `ORRERY_FEED_FORMAT` (not CSV), `ORRERY_FEED_COLUMNS` (no header with time and close,
 *   or a mapped column that is not there), `ORRERY_FEED_BAD_ROWS` (more than `maxDroppedFraction` dropped),
 *   `ORRERY_FEED_EMPTY` (no bar left).
 */
export function parseCsvBars(text: string, source: string, opts: CsvLoadOptions = {}): LoadedSeries {
  const records = readCsvRecords(text, source, { relaxQuotes: true });

  const mapping = opts.columns ?? {};
  const { headerIndex, index } = findHeader(records, mapping, source);
  const report = new FeedReportBuilder(source);
  report.preambleLines = headerIndex;

  const rows: SourcedBar[] = [];
  for (const { record, info } of records.slice(headerIndex + 1)) {
    report.rowsRead++;
    const rawTime = record[index.time] ?? '';
    const time = parseTime(rawTime);
    if (time === undefined) {
      report.drop(DropReason.BAD_TIME, {
        line: info.lines,
        time: rawTime,
        detail: `'${rawTime}' is not a time`,
      });
      continue;
    }
    const close = parseNumber(record[index.close]);
    const pick = (i: number | undefined) => (i === undefined ? close : parseNumber(record[i]));
    const bar: Bar = {
      time,
      open: pick(index.open),
      high: pick(index.high),
      low: pick(index.low),
      close,
      volume: index.volume === undefined ? 0 : parseNumber(record[index.volume]),
    };
    const problem = checkBar(bar);
    if (problem) {
      report.drop(problem.reason, { line: info.lines, time: rawTime, detail: problem.detail });
      continue;
    }
    rows.push({ bar, line: info.lines, rawTime });
  }

  const bars = cleanSeries(rows, report, opts);
  const result = report.build(bars);
  const limit = opts.maxDroppedFraction ?? 0.2;
  if (result.rowsRead > 0 && result.droppedTotal / result.rowsRead > limit) {
    throw new FeedError(
      RunnerErrorCode.FEED_BAD_ROWS,
      source,
      `${result.droppedTotal} of ${result.rowsRead} rows are bad (more than ${Math.round(limit * 100)} %); ` +
        `check the column mapping and time format:\n${formatFeedReport(result)}`,
    );
  }
  if (bars.length === 0)
    throw new FeedError(RunnerErrorCode.FEED_EMPTY, source, `no usable bar:\n${formatFeedReport(result)}`);

  const header = records[headerIndex]!.record;
  const columns = Object.fromEntries(
    BAR_FIELDS.map((f) => [f, index[f] === undefined ? null : header[index[f]]!]),
  ) as Record<BarField, string | null>;
  return { bars, report: result, columns };
}

/**
 * Parses `time=Date,close=Close,volume=Vol` into a {@link ColumnMapping}.
 *
 * @throws FeedError `ORRERY_FEED_COLUMNS` naming the bad entry (unknown field, missing `=`, empty name).
 */
export function parseColumnMapping(spec: string): ColumnMapping {
  const out: Partial<Record<BarField, string>> = {};
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const field = part.slice(0, eq).trim();
    const name = part.slice(eq + 1).trim();
    if (eq < 0 || name === '' || !(BAR_FIELDS as readonly string[]).includes(field)) {
      throw new FeedError(
        RunnerErrorCode.FEED_COLUMNS,
        '--columns',
        `'${part.trim()}' is not field=Column with field one of ${BAR_FIELDS.join(', ')}`,
      );
    }
    out[field as BarField] = name;
  }
  return out;
}

type ColumnIndex = { time: number; close: number } & Partial<Record<BarField, number>>;

function findHeader(
  records: readonly { record: string[] }[],
  mapping: ColumnMapping,
  source: string,
): { headerIndex: number; index: ColumnIndex } {
  const limit = Math.min(records.length, HEADER_SEARCH);
  for (let r = 0; r < limit; r++) {
    const cells = records[r]!.record.map((c) => c.trim().toLowerCase());
    const index: Partial<Record<BarField, number>> = {};
    const missingMapped: string[] = [];
    for (const field of BAR_FIELDS) {
      const wanted = mapping[field];
      if (wanted !== undefined) {
        const i = cells.indexOf(wanted.trim().toLowerCase());
        if (i < 0) missingMapped.push(`${field}=${wanted}`);
        else index[field] = i;
        continue;
      }
      const i = CANDIDATES[field].map((c) => cells.indexOf(c)).find((k) => k >= 0);
      if (i !== undefined) index[field] = i;
    }
    if (index.time === undefined || index.close === undefined) continue;
    if (missingMapped.length > 0) {
      throw new FeedError(
        RunnerErrorCode.FEED_COLUMNS,
        source,
        `no column ${missingMapped.join(', ')} in the header (columns: ${records[r]!.record.join(', ')})`,
      );
    }
    return { headerIndex: r, index: index as ColumnIndex };
  }
  const first = records[0]?.record.join(', ') ?? '(empty file)';
  const mapped = Object.entries(mapping).map(([f, c]) => `${f}=${c}`);
  if (mapped.length > 0) {
    throw new FeedError(
      RunnerErrorCode.FEED_COLUMNS,
      source,
      `no header row with the columns ${mapped.join(', ')} (and a time and a close column) in the first ` +
        `${HEADER_SEARCH} lines (first line: ${first})`,
    );
  }
  throw new FeedError(
    RunnerErrorCode.FEED_COLUMNS,
    source,
    `no header row with a time and a close column in the first ${HEADER_SEARCH} lines (first line: ${first}); ` +
      'name them with --columns time=<Column>,close=<Column>',
  );
}
