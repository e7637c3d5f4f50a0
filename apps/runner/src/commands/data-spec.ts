import type { DataSourceSpec } from '@orrery/feeds';
// The column parser alone (not the feeds' index, which loads zod and ccxt): `orrery --help` stays light.
import { parseColumnMapping } from '@orrery/feeds/columns';
import type { DataFlags } from './data-flags.ts';

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
