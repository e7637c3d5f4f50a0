import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { z } from 'zod';
import { readCsvRecords } from './csv-records.ts';
import { FeedError, FeedErrorCode } from './errors.ts';
import { MAX_EXAMPLES, type ReasonCount, type RowExample } from './feed-report.ts';
import { formatTime, parseTime } from './parse-time.ts';

/** One dated piece of text for the sentiment planet. */
export interface NewsItem {
  /** When it was published (epoch ms, UTC). */
  readonly time: number;
  /** The symbol it concerns; undefined: every symbol. */
  readonly symbol: string | undefined;
  readonly text: string;
}

/**
 * Why a news row was not used. Stable strings: they appear in reports and tests.
 * - `bad-json`: a JSONL line that is not a JSON object;
 * - `bad-time`: the time is missing or not a recognised format (ISO 8601 UTC, epoch ms or s);
 * - `missing-text`: no text, or only blanks;
 * - `bad-field`: a field of the wrong type (symbol not a string…);
 * - `duplicate-item`: the same time, symbol and text as an earlier row.
 */
export const NewsDropReason = {
  BAD_JSON: 'bad-json',
  BAD_TIME: 'bad-time',
  MISSING_TEXT: 'missing-text',
  BAD_FIELD: 'bad-field',
  DUPLICATE_ITEM: 'duplicate-item',
} as const;

/** One of {@link NewsDropReason}'s values. */
export type NewsDropReason = (typeof NewsDropReason)[keyof typeof NewsDropReason];

/** What a news file held, kept and dropped (with examples), like the bar loader's `FeedReport`. */
export interface NewsReport {
  readonly source: string;
  /** `jsonl` or `csv`. */
  readonly format: NewsFormat;
  /** Data rows read (CSV header and blank lines excluded). */
  readonly rowsRead: number;
  readonly kept: number;
  readonly droppedTotal: number;
  readonly dropped: Readonly<Partial<Record<NewsDropReason, ReasonCount>>>;
  /** First and last kept item times (epoch ms), when any was kept. */
  readonly first: number | undefined;
  readonly last: number | undefined;
}

/** The two file layouts: one JSON object per line, or CSV with a `time,symbol,text` header. */
export type NewsFormat = 'jsonl' | 'csv';

/** Items in time order, with the report of what was dropped. */
export interface LoadedNews {
  readonly items: readonly NewsItem[];
  readonly report: NewsReport;
}

/** Options of {@link loadNewsFile} and {@link parseNews}. */
export interface NewsLoadOptions {
  /** Forces the layout; default: `.csv` files are CSV, `.jsonl`/`.ndjson`/`.json` JSONL, else sniffed. */
  readonly format?: NewsFormat;
  /** Fraction of rows that may be dropped before the whole file is refused. Default 0.2. */
  readonly maxDroppedFraction?: number;
}

/** A row as written, before its time is parsed. Extra fields (url, source…) are ignored. */
const newsRowSchema = z.object({
  time: z.union([z.string(), z.number()], { error: 'time must be a string or a number' }),
  symbol: z
    .string({ error: 'symbol must be a string' })
    .trim()
    .optional()
    .transform((s) => (s === '' ? undefined : s)),
  text: z.string({ error: 'text must be a string' }).trim().min(1, 'text is empty'),
});

/**
 * Reads a news file. See {@link parseNews}.
 *
 * @throws FeedError `ORRERY_FEED_FILE` when the file cannot be read, and whatever {@link parseNews} throws.
 */
export function loadNewsFile(path: string, opts: NewsLoadOptions = {}): LoadedNews {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new FeedError(FeedErrorCode.FILE, path, `cannot read the news file (${(err as Error).message})`, {
      cause: err,
    });
  }
  const ext = extname(path).toLowerCase();
  const format =
    opts.format ??
    (ext === '.csv' ? 'csv' : ['.jsonl', '.ndjson', '.json'].includes(ext) ? 'jsonl' : undefined);
  return parseNews(text, path, format === undefined ? opts : { ...opts, format });
}

/**
 * Parses news text: JSONL (`{"time": "2020-03-12T14:00:00Z" | epoch ms, "symbol"?: "SPY", "text": "…"}`
 * per line) or CSV (`time,symbol,text` header, case-insensitive; the symbol column may be left out). Every
 * row is validated; bad rows are dropped and counted by reason. An empty symbol means every symbol.
 * Items are returned in time order (stable: rows of one time keep the file's order).
 *
 * @throws FeedError `ORRERY_FEED_FORMAT` (not readable as CSV), `ORRERY_FEED_COLUMNS` (a CSV without a
 *   `time` and a `text` column), `ORRERY_FEED_BAD_ROWS` (more than `maxDroppedFraction` of rows dropped).
 */
export function parseNews(text: string, source: string, opts: NewsLoadOptions = {}): LoadedNews {
  const format = opts.format ?? (text.trimStart().startsWith('{') ? 'jsonl' : 'csv');
  const rows = format === 'jsonl' ? jsonlRows(text) : csvRows(text, source);
  const dropped = new Map<NewsDropReason, { count: number; examples: RowExample[] }>();
  const items: NewsItem[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    const read = readNewsRow(row, seen);
    if ('reason' in read) {
      const entry = dropped.get(read.reason) ?? { count: 0, examples: [] };
      dropped.set(read.reason, entry);
      entry.count++;
      if (entry.examples.length < MAX_EXAMPLES) entry.examples.push(read.example);
    } else items.push(read);
  }
  items.sort((a, b) => a.time - b.time);

  let droppedTotal = 0;
  for (const e of dropped.values()) droppedTotal += e.count;
  const report: NewsReport = {
    source,
    format,
    rowsRead: rows.length,
    kept: items.length,
    droppedTotal,
    dropped: Object.fromEntries(dropped),
    first: items[0]?.time,
    last: items.at(-1)?.time,
  };
  const limit = opts.maxDroppedFraction ?? 0.2;
  if (report.rowsRead > 0 && droppedTotal / report.rowsRead > limit) {
    throw new FeedError(
      FeedErrorCode.BAD_ROWS,
      source,
      `${droppedTotal} of ${report.rowsRead} news rows are bad (more than ${Math.round(limit * 100)} %):\n` +
        formatNewsReport(report),
    );
  }
  return { items, report };
}

/**
 * One row as a news item, or why it is dropped (with an example for the report). `seen` holds the keys
 * of the items kept so far; a row repeating one is a duplicate, and a kept row's key is added.
 */
function readNewsRow(
  row: RawRow,
  seen: Set<string>,
): NewsItem | { reason: NewsDropReason; example: RowExample } {
  if (row.kind === 'bad-json')
    return { reason: NewsDropReason.BAD_JSON, example: { line: row.line, time: '', detail: row.detail } };
  const raw = row.value as { time?: unknown } | null;
  const rawTime = raw !== null && typeof raw === 'object' ? String(raw.time ?? '') : '';
  const checked = newsRowSchema.safeParse(raw);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const field = String(issue.path[0] ?? '');
    const reason =
      field === 'text'
        ? NewsDropReason.MISSING_TEXT
        : field === 'time'
          ? NewsDropReason.BAD_TIME
          : NewsDropReason.BAD_FIELD;
    const detail =
      issue.code === 'invalid_type' && field !== '' ? `${field}: ${issue.message}` : issue.message;
    return { reason, example: { line: row.line, time: rawTime, detail } };
  }
  const { symbol, text } = checked.data;
  const time = parseTime(String(checked.data.time));
  if (time === undefined) {
    const detail = `'${rawTime}' is not a time`;
    return { reason: NewsDropReason.BAD_TIME, example: { line: row.line, time: rawTime, detail } };
  }
  const key = JSON.stringify([time, symbol ?? null, text]);
  if (seen.has(key)) {
    const detail = 'same time, symbol and text as an earlier row';
    return { reason: NewsDropReason.DUPLICATE_ITEM, example: { line: row.line, time: rawTime, detail } };
  }
  seen.add(key);
  return { time, symbol, text };
}

/** A few human lines: what was kept, the span, and every drop reason with one example. */
export function formatNewsReport(r: NewsReport): string {
  const span = r.first === undefined ? '' : ` (${formatTime(r.first)} .. ${formatTime(r.last ?? r.first)})`;
  const lines = [`${r.source}: kept ${r.kept} of ${r.rowsRead} news items${span}`];
  for (const [reason, c] of Object.entries(r.dropped)) {
    const ex = c.examples[0];
    const where = ex
      ? ` — e.g. ${ex.line === undefined ? '' : `line ${ex.line} `}${ex.time === '' ? '' : `${ex.time}: `}${ex.detail}`
      : '';
    lines.push(`  dropped ${c.count} ${reason}${where}`);
  }
  return lines.join('\n');
}

type RawRow =
  | { kind: 'value'; line: number; value: unknown }
  | { kind: 'bad-json'; line: number; detail: string };

function jsonlRows(text: string): RawRow[] {
  const out: RawRow[] = [];
  text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .forEach((raw, i) => {
      const line = raw.trim();
      if (line === '') return;
      try {
        const value: unknown = JSON.parse(line);
        if (value === null || typeof value !== 'object' || Array.isArray(value))
          out.push({ kind: 'bad-json', line: i + 1, detail: 'not a JSON object' });
        else out.push({ kind: 'value', line: i + 1, value });
      } catch (err) {
        out.push({ kind: 'bad-json', line: i + 1, detail: `not JSON (${(err as Error).message})` });
      }
    });
  return out;
}

function csvRows(text: string, source: string): RawRow[] {
  const records = readCsvRecords(text, source);
  const header = records[0]?.record.map((c) => c.trim().toLowerCase()) ?? [];
  const at = { time: header.indexOf('time'), symbol: header.indexOf('symbol'), text: header.indexOf('text') };
  if (at.time < 0 || at.text < 0) {
    throw new FeedError(
      FeedErrorCode.COLUMNS,
      source,
      `the first line must be a header with time, text and optionally symbol columns (first line: ${
        records[0]?.record.join(', ') ?? '(empty file)'
      })`,
    );
  }
  return records.slice(1).map(({ record, info }) => ({
    kind: 'value',
    line: info.lines,
    value: {
      time: record[at.time] ?? '',
      text: record[at.text] ?? '',
      ...(at.symbol < 0 ? {} : { symbol: record[at.symbol] ?? '' }),
    },
  }));
}
