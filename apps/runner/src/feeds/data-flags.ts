import { type Command, InvalidArgumentError } from 'commander';

/** The data flags {@link addDataOptions} adds, as commander parses them (read by `dataSpecFromFlags`). */
export interface DataFlags {
  data?: string;
  columns?: string;
  symbol?: string;
  symbols?: string;
  columnPattern?: string;
  timeFormat?: string;
  maxBadRows?: number;
  outliers?: 'drop' | 'keep';
}

/** Adds `--data`, `--columns`, `--symbol`, `--symbols`, `--column-pattern`, `--time-format`, `--max-bad-rows`, `--outliers`. */
export function addDataOptions(cmd: Command): Command {
  return cmd
    .option(
      '-d, --data <source>',
      'spy | btc | btc-hourly | path to a CSV (, ; or tab) or freqtrade JSON file (default: run.data, else spy)',
    )
    .option(
      '--columns <map>',
      'CSV column mapping, e.g. time=Date,close=Close,volume=Vol (time=#1: first column)',
    )
    .option('--symbol <symbol>', 'symbol of a CSV file (default: its file name)')
    .option(
      '--symbols <list>',
      'a multi-asset file: the symbols to read, e.g. BTC,ETH,LTC (columns BTC:close …)',
    )
    .option('--column-pattern <pattern>', "a multi-asset file's column names, e.g. '{symbol}_{field}'")
    .option(
      '--time-format <format>',
      'time column format, e.g. %m/%d/%Y or %d.%m.%Y %H:%M (default: detected)',
    )
    .option(
      '--max-bad-rows <fraction>',
      'fraction of rows that may be bad before the file is refused (default 0.2)',
      fraction,
    )
    .option(
      '--outliers <action>',
      'drop | keep absurd prices and spikes (always reported; default drop)',
      outlierAction,
    );
}

function fraction(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new InvalidArgumentError('must be a fraction between 0 and 1, e.g. 0.5');
  return n;
}

function outlierAction(value: string): 'drop' | 'keep' {
  if (value !== 'drop' && value !== 'keep') throw new InvalidArgumentError('must be drop or keep');
  return value;
}
