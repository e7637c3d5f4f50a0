import { OrreryError } from '@orrery/errors';

/**
 * Every failure the feeds report on purpose is a {@link FeedError} with a stable `code` callers (and the
 * runner's exit path) can switch on. The underlying failure travels as `cause`.
 */
export const FeedErrorCode = {
  /** A data file cannot be read. */
  FILE: 'ORRERY_FEED_FILE',
  /** A file is not bars (not CSV nor freqtrade JSON, or binary). */
  FORMAT: 'ORRERY_FEED_FORMAT',
  /** The bar columns cannot be found, or a column mapping is malformed. */
  COLUMNS: 'ORRERY_FEED_COLUMNS',
  /** More rows were bad than the file may have (`maxDroppedFraction`). */
  BAD_ROWS: 'ORRERY_FEED_BAD_ROWS',
  /** A file holds no usable bar. */
  EMPTY: 'ORRERY_FEED_EMPTY',
  /** The live exchange feed failed for good (unknown symbol, bad timeframe). */
  LIVE: 'ORRERY_FEED_LIVE',
  /** A time format is malformed, or the file's time column reads in more than one format. */
  TIME_FORMAT: 'ORRERY_FEED_TIME_FORMAT',
  /** `--data NAME` is neither a bundled data set nor a file. */
  UNKNOWN: 'ORRERY_FEED_UNKNOWN',
  /** A call the source does not fit (`loadDataSource` on a multi-asset file). */
  USAGE: 'ORRERY_USAGE',
} as const;

/** One of {@link FeedErrorCode}'s values. */
export type FeedErrorCode = (typeof FeedErrorCode)[keyof typeof FeedErrorCode];

/**
 * A market data file or feed could not be read or held too many bad rows. `source` names it.
 * `instanceof` works across duplicate copies of the package.
 */
export class FeedError extends OrreryError<FeedErrorCode> {
  static override readonly brand: string = 'orrery.feeds.FeedError';
  /** The file path or feed name the failure concerns. */
  readonly source: string;

  constructor(code: FeedErrorCode, source: string, message: string, options: ErrorOptions = {}) {
    super(code, `${source}: ${message}`, options);
    this.name = 'FeedError';
    this.source = source;
  }
}
