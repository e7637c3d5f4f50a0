import { basename, extname } from 'node:path';
import { BUNDLED_DATASETS, isBundledName } from './bundled.ts';
import { type ColumnMapping, type LoadedSeries, loadCsvFile } from './csv-loader.ts';

/** A market data source as the config or `--data` names it. */
export interface DataSourceSpec {
  /** `spy` | `btc` | `btc-hourly` | a CSV path. */
  readonly source: string;
  readonly symbol?: string | undefined;
  readonly columns?: ColumnMapping | undefined;
  readonly lastBarPartial?: boolean | undefined;
  readonly dropZeroVolume?: boolean | undefined;
}

/** A loaded source: its symbol, a one-line description, the bars and the loader's report. */
export interface ResolvedSeries extends LoadedSeries {
  readonly symbol: string;
  readonly description: string;
  /** The path read. */
  readonly path: string;
}

/**
 * Loads a bundled dataset by name, or a CSV file with the given column mapping. The symbol defaults to
 * the dataset's own, or the file name without its extension.
 *
 * @throws FeedError from the CSV loader (unreadable file, columns not found, too many bad rows).
 */
export function loadDataSource(spec: DataSourceSpec): ResolvedSeries {
  if (isBundledName(spec.source)) {
    const d = BUNDLED_DATASETS[spec.source];
    const loaded = loadCsvFile(d.path, {
      ...d.load,
      ...(spec.dropZeroVolume === undefined ? {} : { dropZeroVolume: spec.dropZeroVolume }),
    });
    return { ...loaded, symbol: spec.symbol ?? d.symbol, description: d.description, path: d.path };
  }
  const loaded = loadCsvFile(spec.source, {
    ...(spec.columns ? { columns: spec.columns } : {}),
    ...(spec.lastBarPartial === undefined ? {} : { lastBarPartial: spec.lastBarPartial }),
    ...(spec.dropZeroVolume === undefined ? {} : { dropZeroVolume: spec.dropZeroVolume }),
  });
  return {
    ...loaded,
    symbol: spec.symbol ?? basename(spec.source, extname(spec.source)),
    description: `CSV ${spec.source}`,
    path: spec.source,
  };
}
