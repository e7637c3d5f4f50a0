import { existsSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { BUNDLED_DATASETS, isBundledName } from './bundled.ts';
import {
  type ColumnMapping,
  type CsvLoadOptions,
  type LoadedSeries,
  loadCsvFile,
  loadWideCsvFile,
} from './csv-loader.ts';
import { FeedError, FeedErrorCode } from './errors.ts';

/** A market data source as the config or `--data` names it. */
export interface DataSourceSpec {
  /** `spy` | `btc` | `btc-hourly` | a CSV or freqtrade JSON path. */
  readonly source: string;
  readonly symbol?: string | undefined;
  /** Column names per bar field, and optionally the time column's format. */
  readonly columns?: (ColumnMapping & { readonly timeFormat?: string | undefined }) | undefined;
  /** strftime-like time format (overrides `columns.timeFormat`). */
  readonly timeFormat?: string | undefined;
  /** A multi-asset ("wide") file: the symbols to read from it, each one series. */
  readonly symbols?: readonly string[] | undefined;
  /** The wide file's column names, with `{symbol}` and `{field}` (default: a few usual ones tried). */
  readonly columnPattern?: string | undefined;
  /** Fraction of rows that may be bad before the file is refused (default 0.2). */
  readonly maxBadRowFraction?: number | undefined;
  /** Outliers: dropped (default) or kept, and reported either way. */
  readonly outliers?: 'drop' | 'keep' | undefined;
  /** Jump threshold as a multiple of recent volatility (default 10). */
  readonly outlierJumpMultiple?: number | undefined;
  readonly lastBarPartial?: boolean | undefined;
  readonly dropZeroVolume?: boolean | undefined;
  /** Where this spec came from, for error messages (`--data`, `run.data[1]`). */
  readonly key?: string | undefined;
}

/** A loaded source: its symbol, a one-line description, the bars and the loader's report. */
export interface ResolvedSeries extends LoadedSeries {
  readonly symbol: string;
  readonly description: string;
  /** The path read. */
  readonly path: string;
}

/**
 * Loads a bundled dataset by name, or a CSV or JSON file with the given column mapping. The symbol
 * defaults to the dataset's own, or the file name without its extension (a freqtrade name such as
 * `BTC_USDT-1h.json` gives `BTC/USDT`). For a multi-asset file use {@link loadDataSources}.
 *
 * @throws FeedError from the loader (unreadable file, columns not found, too many bad rows), and
 *   `ORRERY_FEED_UNKNOWN` for a name that is neither bundled nor a file (listing the bundled names).
 */
export function loadDataSource(spec: DataSourceSpec): ResolvedSeries {
  const all = loadDataSources(spec);
  if (all.length !== 1)
    throw new FeedError(
      FeedErrorCode.USAGE,
      spec.source,
      `holds ${all.length} symbols; load it with loadDataSources`,
    );
  return all[0]!;
}

/**
 * Loads one source as one series or, with `symbols`, one series per symbol of a wide file.
 *
 * @throws as {@link loadDataSource}.
 */
export function loadDataSources(spec: DataSourceSpec): ResolvedSeries[] {
  const opts = loadOptions(spec);
  if (isBundledName(spec.source)) {
    const d = BUNDLED_DATASETS[spec.source];
    const loaded = loadCsvFile(d.path, {
      ...d.load,
      ...opts,
      columns: d.load.columns ?? {},
    });
    return [{ ...loaded, symbol: spec.symbol ?? d.symbol, description: d.description, path: d.path }];
  }
  if (!existsSync(spec.source) && !/[/\\.]/.test(spec.source)) {
    const names = Object.keys(BUNDLED_DATASETS);
    const near = names.find((n) => editDistance(n, spec.source.toLowerCase()) <= 2);
    throw new FeedError(
      FeedErrorCode.UNKNOWN,
      spec.key ?? '--data',
      `'${spec.source}' is not a bundled data set (${names.join(', ')}) nor a file` +
        (near === undefined ? '' : `; did you mean ${near}?`),
    );
  }
  if (spec.symbols !== undefined && spec.symbols.length > 0) {
    return loadWideCsvFile(spec.source, spec.symbols, { ...opts, pattern: spec.columnPattern }).map((s) => ({
      ...s,
      description: `${spec.source} [${s.symbol}]`,
      path: spec.source,
    }));
  }
  const loaded = loadCsvFile(spec.source, opts);
  return [
    {
      ...loaded,
      symbol: spec.symbol ?? symbolOfFile(spec.source),
      description: `${extname(spec.source).toLowerCase() === '.json' ? 'JSON' : 'CSV'} ${spec.source}`,
      path: spec.source,
    },
  ];
}

function loadOptions(spec: DataSourceSpec): CsvLoadOptions {
  const { timeFormat: columnsFormat, ...columns } = spec.columns ?? {};
  const timeFormat = spec.timeFormat ?? columnsFormat;
  const key = spec.key ?? '--data';
  return {
    ...(spec.columns ? { columns } : {}),
    ...(timeFormat === undefined ? {} : { timeFormat }),
    timeFormatKey:
      spec.timeFormat !== undefined || key === '--data' ? '--time-format' : `${key}.columns.timeFormat`,
    ...(spec.maxBadRowFraction === undefined ? {} : { maxDroppedFraction: spec.maxBadRowFraction }),
    ...(spec.outliers === undefined ? {} : { outliers: spec.outliers }),
    ...(spec.outlierJumpMultiple === undefined ? {} : { outlierJumpMultiple: spec.outlierJumpMultiple }),
    ...(spec.lastBarPartial === undefined ? {} : { lastBarPartial: spec.lastBarPartial }),
    ...(spec.dropZeroVolume === undefined ? {} : { dropZeroVolume: spec.dropZeroVolume }),
  };
}

/** `BTC_USDT-1h.json` (freqtrade) → `BTC/USDT`; anything else → the file name without its extension. */
export function symbolOfFile(path: string): string {
  const name = basename(path, extname(path));
  const ft = /^([A-Z0-9]+)_([A-Z0-9]+)(?:_[A-Z0-9]+)?-\d+[smhdwM]$/.exec(name);
  return ft ? `${ft[1]}/${ft[2]}` : name;
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}
