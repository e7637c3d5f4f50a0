import { readFileSync } from 'node:fs';
import type { Bar } from './bar.ts';
import { checkBar, DropReason, parseNumber } from './check-bar.ts';
import { type CleanOptions, cleanSeries, type SourcedBar } from './clean-series.ts';
import { type CsvRecord, detectDelimiter, readCsvRecords } from './csv-records.ts';
import { FeedError, FeedErrorCode } from './errors.ts';
import { type FeedReport, FeedReportBuilder, formatFeedReport } from './feed-report.ts';
import { chooseTimeFormat, clip } from './time-format.ts';

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
  /**
   * Column names for some or all fields (`#N` names the N-th column, for a header cell that is empty);
   * the others are detected from the header.
   */
  readonly columns?: ColumnMapping;
  /**
   * Fraction of data rows that may be dropped before the whole file is refused (a wrong column mapping or
   * time format shows up as most rows dropped). Default 0.2.
   */
  readonly maxDroppedFraction?: number;
  /** strftime-like format of the time column (see `compileTimeFormat`); default: detected. */
  readonly timeFormat?: string | undefined;
  /** Where `timeFormat` was set, for its errors (`--time-format`, `run.data[0].columns.timeFormat`). */
  readonly timeFormatKey?: string;
  /** `,` `;` or tab; default: detected ({@link detectDelimiter}). */
  readonly delimiter?: string | undefined;
}

/** Bars in time order, what was dropped and why, and the columns that were used. */
export interface LoadedSeries {
  readonly bars: Bar[];
  readonly report: FeedReport;
  /** The header name used for each field; null when the field was absent (copied from close, volume 0). */
  readonly columns: Readonly<Record<BarField, string | null>>;
}

/** One series of a multi-asset file, with its symbol. */
export interface WideSeries extends LoadedSeries {
  readonly symbol: string;
}

/**
 * Reads a market data file: CSV (comma, semicolon or tab), or freqtrade's JSON OHLCV
 * (`[[ms, open, high, low, close, volume], …]`, recognised by its leading `[`). See {@link parseCsvBars}.
 *
 * @throws FeedError `ORRERY_FEED_FILE` when the file cannot be read, and whatever {@link parseCsvBars}
 *   or {@link parseJsonBars} throws.
 */
export function loadCsvFile(path: string, opts: CsvLoadOptions = {}): LoadedSeries {
  const text = readText(path);
  return looksLikeJson(text) ? parseJsonBars(text, path, opts) : parseCsvBars(text, path, opts);
}

/**
 * Reads the series of several symbols from one "wide" file (one time column, then e.g. `BTC:open …
 * BTC:volume ETH:open …`). `pattern` places `{symbol}` and `{field}` in the column names; by default
 * `{symbol}:{field}`, `{symbol}_{field}`, `{symbol}.{field}`, `{symbol} {field}`, `{field}_{symbol}` are
 * tried. The rows before a symbol's first price (not listed yet) are skipped and counted, not bad.
 *
 * @throws FeedError `ORRERY_FEED_COLUMNS` naming a symbol without a close column, and whatever
 *   {@link parseCsvBars} throws, per symbol.
 */
export function loadWideCsvFile(
  path: string,
  symbols: readonly string[],
  opts: CsvLoadOptions & { pattern?: string | undefined } = {},
): WideSeries[] {
  const text = readText(path);
  const delimiter = opts.delimiter ?? detectDelimiter(text);
  const records = readCsvRecords(text, path, { relaxQuotes: true, delimiter });
  const timeOnly: ColumnMapping = opts.columns?.time === undefined ? {} : { time: opts.columns.time };
  const { headerIndex, time } = findTimeHeader(records, timeOnly, path);
  const header = records[headerIndex]!.record;
  const cells = header.map((c) => c.trim().toLowerCase());
  const patterns = opts.pattern === undefined ? WIDE_PATTERNS : [opts.pattern];
  return symbols.map((symbol) => {
    const index = wideIndex(cells, symbol, patterns, time);
    if (index === undefined)
      throw new FeedError(
        FeedErrorCode.COLUMNS,
        path,
        `no close column for ${symbol} (tried ${patterns
          .map((p) => `'${fill(p, symbol, 'close')}'`)
          .join(', ')}; columns: ${clip(header.join(', '), 160)})`,
      );
    const own = [index.open, index.high, index.low, index.close, index.volume].filter(
      (i): i is number => i !== undefined,
    );
    const rows = records.slice(headerIndex + 1);
    const first = rows.findIndex(({ record }) => own.some((i) => (record[i] ?? '').trim() !== ''));
    const listed = first < 0 ? [] : rows.slice(first);
    const loaded = barsFromRecords(listed, index, `${path} [${symbol}]`, header, opts, {
      preamble: headerIndex,
      delimiter,
      beforeListing: first < 0 ? rows.length : first,
    });
    return { ...loaded, symbol };
  });
}

const WIDE_PATTERNS = [
  '{symbol}:{field}',
  '{symbol}_{field}',
  '{symbol}.{field}',
  '{symbol} {field}',
  '{field}_{symbol}',
];

function fill(pattern: string, symbol: string, field: string): string {
  return pattern.replaceAll('{symbol}', symbol).replaceAll('{field}', field);
}

function wideIndex(
  cells: readonly string[],
  symbol: string,
  patterns: readonly string[],
  time: number,
): ColumnIndex | undefined {
  for (const p of patterns) {
    const find = (field: BarField) =>
      CANDIDATES[field].map((c) => cells.indexOf(fill(p, symbol, c).toLowerCase())).find((k) => k >= 0);
    const close = find('close');
    if (close === undefined) continue;
    const index: ColumnIndex = { time, close };
    for (const f of ['open', 'high', 'low', 'volume'] as const) {
      const i = find(f);
      if (i !== undefined) index[f] = i;
    }
    return index;
  }
  return undefined;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a folder' : clip(e.message);
    throw new FeedError(FeedErrorCode.FILE, path, `cannot read the file (${why})`, { cause: err });
  }
}

function looksLikeJson(text: string): boolean {
  return /^\uFEFF?\s*[[{]/.test(text.slice(0, 64));
}

/**
 * Parses freqtrade's JSON OHLCV data (`[[ms, open, high, low, close, volume], …]`, times in epoch ms
 * or seconds) with the same row checks, cleaning and report as a CSV file.
 *
 * @throws FeedError `ORRERY_FEED_FORMAT` when the text is not such a JSON array (the message is short,
 *   never the file), `ORRERY_FEED_BAD_ROWS`, `ORRERY_FEED_EMPTY`.
 */
export function parseJsonBars(text: string, source: string, opts: CsvLoadOptions = {}): LoadedSeries {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new FeedError(FeedErrorCode.FORMAT, source, `not valid JSON (${clip((err as Error).message)})`, {
      cause: err,
    });
  }
  if (!Array.isArray(data))
    throw new FeedError(
      FeedErrorCode.FORMAT,
      source,
      'a JSON data file must be an array of [time ms, open, high, low, close, volume] rows (freqtrade)',
    );
  const records: CsvRecord[] = data.map((row, i) => ({
    record: Array.isArray(row) ? row.slice(0, 6).map((v) => (typeof v === 'number' ? String(v) : '')) : [],
    info: { lines: i + 1 },
  }));
  const header = ['time', 'open', 'high', 'low', 'close', 'volume'];
  return barsFromRecords(
    records,
    { time: 0, open: 1, high: 2, low: 3, close: 4, volume: 5 },
    source,
    header,
    opts,
    {
      preamble: 0,
      delimiter: ',',
      beforeListing: 0,
      epochMs: true,
    },
  );
}

/**
 * Parses CSV text into bars: detects the delimiter, finds the header (skipping banner lines), maps
 * columns, picks the time format ({@link chooseTimeFormat}), checks every row ({@link checkBar}), then
 * orders and de-duplicates the series and screens it for outliers ({@link cleanSeries}). Missing open,
 * high or low columns are copied from close; a missing volume column gives volume 0.
 *
 * @throws FeedError `ORRERY_FEED_FORMAT` (not CSV), `ORRERY_FEED_COLUMNS` (no header with time and close,
 *   or a mapped column that is not there), `ORRERY_FEED_TIME_FORMAT` (a bad or ambiguous time format),
 *   `ORRERY_FEED_BAD_ROWS` (more than `maxDroppedFraction` dropped), `ORRERY_FEED_EMPTY` (no bar left).
 */
export function parseCsvBars(text: string, source: string, opts: CsvLoadOptions = {}): LoadedSeries {
  const delimiter = opts.delimiter ?? detectDelimiter(text);
  const records = readCsvRecords(text, source, { relaxQuotes: true, delimiter });
  const mapping = opts.columns ?? {};
  const { headerIndex, index } = findHeader(records, mapping, source);
  const header = records[headerIndex]!.record;
  return barsFromRecords(records.slice(headerIndex + 1), index, source, header, opts, {
    preamble: headerIndex,
    delimiter,
    beforeListing: 0,
  });
}

function barsFromRecords(
  records: readonly CsvRecord[],
  index: ColumnIndex,
  source: string,
  header: readonly string[],
  opts: CsvLoadOptions,
  how: { preamble: number; delimiter: string; beforeListing: number; epochMs?: boolean },
): LoadedSeries {
  const report = new FeedReportBuilder(source);
  report.preambleLines = how.preamble;
  report.delimiter = how.delimiter;
  report.beforeListing = how.beforeListing;
  const limit = opts.maxDroppedFraction ?? 0.2;
  const chosen = how.epochMs
    ? { parse: epochMs, format: undefined, detected: false }
    : chooseTimeFormat(
        records.map(({ record }) => record[index.time] ?? ''),
        {
          format: opts.timeFormat,
          where: opts.timeFormatKey ?? '--time-format',
          source,
          minShare: 1 - limit,
        },
      );
  if (chosen.format !== undefined) report.timeFormat = { format: chosen.format, detected: chosen.detected };
  const decimalComma = how.delimiter === ';';

  const rows = readRows(records, index, chosen, decimalComma, report);

  const bars = cleanSeries(rows, report, opts);
  const result = report.build(bars);
  refuseBadSeries(result, bars.length, limit, source);

  const columns = Object.fromEntries(
    BAR_FIELDS.map((f) => [f, index[f] === undefined ? null : (header[index[f]] ?? null)]),
  ) as Record<BarField, string | null>;
  return { bars, report: result, columns };
}

/** Each record as a checked bar (in file order), or dropped on `report` with its reason. */
function readRows(
  records: readonly CsvRecord[],
  index: ColumnIndex,
  chosen: { parse: (text: string) => number | undefined; format: string | undefined },
  decimalComma: boolean,
  report: FeedReportBuilder,
): SourcedBar[] {
  const rows: SourcedBar[] = [];
  for (const { record, info } of records) {
    report.rowsRead++;
    const rawTime = record[index.time] ?? '';
    const time = chosen.parse(rawTime);
    if (time === undefined) {
      report.drop(DropReason.BAD_TIME, {
        line: info.lines,
        time: clip(rawTime, 40),
        detail: `'${clip(rawTime, 40)}' is not a time${chosen.format === undefined ? '' : ` in ${chosen.format}`}`,
      });
      continue;
    }
    const num = (i: number) => parseNumber(record[i], decimalComma);
    const close = num(index.close);
    const pick = (i: number | undefined) => (i === undefined ? close : num(i));
    const bar: Bar = {
      time,
      open: pick(index.open),
      high: pick(index.high),
      low: pick(index.low),
      close,
      volume: index.volume === undefined ? 0 : num(index.volume),
    };
    const problem = checkBar(bar);
    if (problem) {
      report.drop(problem.reason, { line: info.lines, time: clip(rawTime, 40), detail: problem.detail });
      continue;
    }
    rows.push({ bar, line: info.lines, rawTime: clip(rawTime, 40) });
  }
  return rows;
}

/**
 * @throws FeedError `ORRERY_FEED_BAD_ROWS` when more than `limit` of the rows were dropped (with a hint on
 *   what to check), `ORRERY_FEED_EMPTY` when no bar is left.
 */
function refuseBadSeries(result: FeedReport, kept: number, limit: number, source: string): void {
  if (result.rowsRead > 0 && result.droppedTotal / result.rowsRead > limit) {
    const hint = result.dropped[DropReason.BAD_TIME]
      ? 'check the time format (--time-format, e.g. %m/%d/%Y) and the column mapping'
      : 'check the column mapping, or raise the limit (--max-bad-rows, run.data[].maxBadRowFraction)';
    throw new FeedError(
      FeedErrorCode.BAD_ROWS,
      source,
      `${result.droppedTotal} of ${result.rowsRead} rows are bad (more than ${Math.round(limit * 100)} %); ` +
        `${hint}:\n${formatFeedReport(result)}`,
    );
  }
  if (kept === 0)
    throw new FeedError(FeedErrorCode.EMPTY, source, `no usable bar:\n${formatFeedReport(result)}`);
}

function epochMs(text: string): number | undefined {
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 1e8) return undefined;
  return n >= 1e11 ? Math.round(n) : Math.round(n * 1000);
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
        FeedErrorCode.COLUMNS,
        '--columns',
        `'${part.trim()}' is not field=Column with field one of ${BAR_FIELDS.join(', ')}`,
      );
    }
    out[field as BarField] = name;
  }
  return out;
}

type ColumnIndex = { time: number; close: number } & Partial<Record<BarField, number>>;

/** `#3` → column index 2; anything else → undefined. */
function columnNumber(name: string): number | undefined {
  const m = /^#(\d{1,4})$/.exec(name.trim());
  return m ? Number(m[1]) - 1 : undefined;
}

function locate(cells: readonly string[], wanted: string): number {
  const n = columnNumber(wanted);
  if (n !== undefined) return n < cells.length ? n : -1;
  return cells.indexOf(wanted.trim().toLowerCase());
}

function findHeader(
  records: readonly CsvRecord[],
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
        const i = locate(cells, wanted);
        if (i < 0) missingMapped.push(`${field}=${wanted}`);
        else index[field] = i;
        continue;
      }
      const i = CANDIDATES[field].map((c) => cells.indexOf(c)).find((k) => k >= 0);
      if (i !== undefined) index[field] = i;
    }
    // A spreadsheet export often leaves the date column's header empty.
    if (
      index.time === undefined &&
      mapping.time === undefined &&
      cells[0] === '' &&
      index.close !== undefined
    )
      index.time = 0;
    if (index.time === undefined || index.close === undefined) continue;
    if (missingMapped.length > 0) {
      throw new FeedError(
        FeedErrorCode.COLUMNS,
        source,
        `no column ${missingMapped.join(', ')} in the header (columns: ${clip(records[r]!.record.join(', '), 160)})`,
      );
    }
    return { headerIndex: r, index: index as ColumnIndex };
  }
  throw noHeader(records, mapping, source);
}

/** The header of a wide file: the row with a time column (named, mapped, or an empty first cell). */
function findTimeHeader(
  records: readonly CsvRecord[],
  mapping: ColumnMapping,
  source: string,
): { headerIndex: number; time: number } {
  const limit = Math.min(records.length, HEADER_SEARCH);
  for (let r = 0; r < limit; r++) {
    const cells = records[r]!.record.map((c) => c.trim().toLowerCase());
    if (cells.length < 2) continue;
    const time =
      mapping.time !== undefined
        ? locate(cells, mapping.time)
        : (CANDIDATES.time.map((c) => cells.indexOf(c)).find((k) => k >= 0) ?? (cells[0] === '' ? 0 : -1));
    if (time >= 0) return { headerIndex: r, time };
  }
  throw noHeader(records, mapping, source);
}

function noHeader(records: readonly CsvRecord[], mapping: ColumnMapping, source: string): FeedError {
  const first = clip(records[0]?.record.join(', ') ?? '(empty file)', 120);
  const mapped = Object.entries(mapping).map(([f, c]) => `${f}=${c}`);
  if (mapped.length > 0) {
    return new FeedError(
      FeedErrorCode.COLUMNS,
      source,
      `no header row with the columns ${mapped.join(', ')} (and a time and a close column) in the first ` +
        `${HEADER_SEARCH} lines (first line: ${first})`,
    );
  }
  return new FeedError(
    FeedErrorCode.COLUMNS,
    source,
    `no header row with a time and a close column in the first ${HEADER_SEARCH} lines (first line: ${first}); ` +
      'name them with --columns time=<Column>,close=<Column> (or time=#1 for the first column)',
  );
}
