import { writeFileSync } from 'node:fs';
import { stringify } from 'csv-stringify/sync';
import type { Trade } from '../metrics/trades.ts';

/** The columns of the trade list CSV, in order. Times are ISO 8601 UTC; `return_pct` is in percent. */
export const TRADE_COLUMNS = [
  'symbol',
  'side',
  'status',
  'entry_time',
  'entry_price',
  'exit_time',
  'exit_price',
  'qty',
  'pnl',
  'return_pct',
  'bars',
  'days',
  'exit_source',
  'exit_reason',
] as const;

/** The trade list as CSV text with a header line (RFC 4180 quoting). */
export function tradesCsv(trades: readonly Trade[]): string {
  return stringify(
    trades.map((t) => [
      t.symbol,
      t.side,
      t.status,
      new Date(t.entryTime).toISOString(),
      t.entryPrice,
      new Date(t.exitTime).toISOString(),
      t.exitPrice,
      t.qty,
      t.pnl,
      t.returnFraction * 100,
      t.bars,
      t.days,
      t.exitSource,
      t.exitReason,
    ]),
    { header: true, columns: [...TRADE_COLUMNS] },
  );
}

/** Writes {@link tradesCsv} to `path`. */
export function writeTradesCsv(path: string, trades: readonly Trade[]): void {
  writeFileSync(path, tradesCsv(trades));
}
