// @orrery/feeds: market and news data for the runner and for anyone who embeds the agents: CSV and
// freqtrade JSON bars (delimiters, time formats, column mappings, multi-asset files), bad rows, gaps and
// outliers reported, the bundled data sets, news files and their look-ahead-free window, and live bars
// from an exchange through ccxt. It reads files; it never reads the environment or the command line.
export type { Bar } from './bar.ts';
export { BUNDLED_DATASETS, type BundledDataset, type BundledName, isBundledName } from './bundled.ts';
export {
  CCXT_MARKETS_SOURCE,
  CCXT_MARKETS_TTL_MS,
  type MarketsExchange,
  withCachedMarkets,
} from './ccxt-markets.ts';
export { checkBar, DropReason, type RowProblem } from './check-bar.ts';
export type { CleanOptions } from './clean-series.ts';
export {
  BAR_FIELDS,
  type BarField,
  type ColumnMapping,
  type CsvLoadOptions,
  type LoadedSeries,
  loadCsvFile,
  loadWideCsvFile,
  parseColumnMapping,
  parseCsvBars,
  parseJsonBars,
  type WideSeries,
} from './csv-loader.ts';
export { DELIMITERS, detectDelimiter } from './csv-records.ts';
export { FeedError, FeedErrorCode } from './errors.ts';
export {
  type FeedReport,
  formatFeedReport,
  type GapReport,
  type ReasonCount,
  type RowExample,
} from './feed-report.ts';
export {
  type CcxtSourceOptions,
  createCcxtSource,
  LiveFeed,
  type LiveFeedOptions,
  type NetworkRetry,
  type OhlcvSource,
  timeframeMs,
} from './live-ccxt.ts';
export {
  formatNewsReport,
  type LoadedNews,
  loadNewsFile,
  NewsDropReason,
  type NewsFormat,
  type NewsItem,
  type NewsLoadOptions,
  type NewsReport,
  parseNews,
} from './news-file.ts';
export {
  DEFAULT_NEWS_LOOKBACK_MS,
  DEFAULT_NEWS_MAX_ITEMS,
  NewsWindow,
  type NewsWindowOptions,
} from './news-window.ts';
export {
  ABSURD_PRICE,
  ABSURD_VOLUME,
  DEFAULT_OUTLIER_JUMP_MULTIPLE,
  type OutlierOptions,
} from './outliers.ts';
export { formatTime, parseTime } from './parse-time.ts';
export {
  type DataSourceSpec,
  loadDataSource,
  loadDataSources,
  type ResolvedSeries,
  symbolOfFile,
} from './resolve-source.ts';
export {
  type ChosenTimeFormat,
  chooseTimeFormat,
  compileTimeFormat,
  TIME_DIRECTIVES,
  TIME_FORMAT_CANDIDATES,
  type TimeParser,
} from './time-format.ts';
