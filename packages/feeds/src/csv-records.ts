import { parse } from 'csv-parse/sync';
import { FeedError, FeedErrorCode } from './errors.ts';
import { clip } from './time-format.ts';

/** One CSV record with the (1-based) line it ended on. */
export interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Splits CSV text into trimmed records with their line numbers (BOM stripped, empty lines skipped,
 * ragged rows allowed: the callers check each row). `relaxQuotes` accepts stray quotes inside unquoted
 * fields.
 *
 * @throws FeedError `ORRERY_FEED_FORMAT` when the text is not readable as CSV.
 */
export function readCsvRecords(
  text: string,
  source: string,
  opts: { relaxQuotes?: boolean; delimiter?: string } = {},
): CsvRecord[] {
  try {
    return parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      relax_quotes: opts.relaxQuotes ?? false,
      delimiter: opts.delimiter ?? ',',
      info: true,
    }) as unknown as CsvRecord[];
  } catch (err) {
    throw new FeedError(
      FeedErrorCode.FORMAT,
      source,
      `not readable as CSV (${clip((err as Error).message, 160)})`,
      {
        cause: err,
      },
    );
  }
}

/** Delimiters {@link detectDelimiter} chooses among. */
export const DELIMITERS = [',', ';', '\t'] as const;

/**
 * Guesses a CSV file's delimiter from its first lines: the one of `,` `;` tab (outside double quotes)
 * that appears the same number of times, and at least once, on the most lines, ties going to the
 * comma. Semicolon files (spreadsheets in locales with a decimal comma) and tab-separated exports are
 * read without an option.
 */
export function detectDelimiter(text: string): (typeof DELIMITERS)[number] {
  const lines = text
    .slice(0, 64 * 1024)
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .slice(0, 20);
  let best: (typeof DELIMITERS)[number] = ',';
  let bestScore = 0;
  for (const d of DELIMITERS) {
    const counts = lines.map((l) => countOutsideQuotes(l, d));
    const tally = new Map<number, number>();
    for (const c of counts) if (c > 0) tally.set(c, (tally.get(c) ?? 0) + 1);
    const score = Math.max(0, ...tally.values());
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

function countOutsideQuotes(line: string, d: string): number {
  let n = 0;
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === d && !quoted) n++;
  }
  return n;
}
