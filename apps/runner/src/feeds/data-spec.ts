import { parseColumnMapping } from './csv-loader.ts';
import type { DataFlags } from './data-flags.ts';
import type { DataSourceSpec } from './resolve-source.ts';

/** The `--data` source the flags describe, or undefined when `--data` is absent (the config's `run.data`). */
export function dataSpecFromFlags(flags: DataFlags): DataSourceSpec | undefined {
  if (flags.data === undefined) return undefined;
  const symbols = flags.symbols
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return {
    source: flags.data,
    key: '--data',
    symbol: flags.symbol,
    columns: flags.columns === undefined ? undefined : parseColumnMapping(flags.columns),
    timeFormat: flags.timeFormat,
    symbols,
    columnPattern: flags.columnPattern,
    maxBadRowFraction: flags.maxBadRows,
    outliers: flags.outliers,
  };
}
