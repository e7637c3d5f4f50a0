import { parse } from 'csv-parse/sync';
import { FeedError, RunnerErrorCode } from '../errors.ts';

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
  opts: { relaxQuotes?: boolean } = {},
): CsvRecord[] {
  try {
    return parse(text, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      relax_quotes: opts.relaxQuotes ?? false,
      info: true,
    }) as unknown as CsvRecord[];
  } catch (err) {
    throw new FeedError(
      RunnerErrorCode.FEED_FORMAT,
      source,
      `not readable as CSV (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
}
