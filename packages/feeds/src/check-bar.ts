import type { Bar } from './bar.ts';

/**
 * Why a row of market data was not used. Stable strings: they appear in reports and tests.
 * - `bad-time`: the time cell is empty or not a recognised format;
 * - `not-a-number`: a price or volume cell is empty or not a finite number;
 * - `non-positive-price`: a price is zero or negative;
 * - `negative-volume`;
 * - `high-below-low`; `open-outside-range` / `close-outside-range`: outside [low, high];
 * - `duplicate-time`: a second row for a time already seen;
 * - `duplicate-bar`: the same OHLCV as an earlier bar, relabelled with a later time;
 * - `out-of-order`: earlier than the row before it in a file whose order is otherwise monotonic;
 * - `partial-bar`: the bar had not closed when the data was taken;
 * - `zero-volume`: no trades in the bar, dropped only when asked (otherwise kept and counted);
 * - `outlier`: an absurd magnitude or a spike that comes straight back (dropped unless told to keep them).
 */
export const DropReason = {
  BAD_TIME: 'bad-time',
  NOT_A_NUMBER: 'not-a-number',
  NON_POSITIVE_PRICE: 'non-positive-price',
  NEGATIVE_VOLUME: 'negative-volume',
  HIGH_BELOW_LOW: 'high-below-low',
  OPEN_OUTSIDE_RANGE: 'open-outside-range',
  CLOSE_OUTSIDE_RANGE: 'close-outside-range',
  DUPLICATE_TIME: 'duplicate-time',
  DUPLICATE_BAR: 'duplicate-bar',
  OUT_OF_ORDER: 'out-of-order',
  PARTIAL_BAR: 'partial-bar',
  ZERO_VOLUME: 'zero-volume',
  OUTLIER: 'outlier',
} as const;

/** One of {@link DropReason}'s values. */
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/** A row's verdict: the reason it is refused and a sentence naming the offending values. */
export interface RowProblem {
  readonly reason: DropReason;
  readonly detail: string;
}

/**
 * Checks one bar on its own (order and duplicates are the loader's business): finite numbers, positive
 * prices, non-negative volume, high ≥ low, open and close within [low, high].
 *
 * @returns the first problem found, or `undefined` when the bar is sound.
 */
export function checkBar(bar: Bar): RowProblem | undefined {
  const { open, high, low, close, volume } = bar;
  for (const [name, v] of [
    ['open', open],
    ['high', high],
    ['low', low],
    ['close', close],
    ['volume', volume],
  ] as const) {
    if (!Number.isFinite(v)) return { reason: DropReason.NOT_A_NUMBER, detail: `${name} is not a number` };
  }
  for (const [name, v] of [
    ['open', open],
    ['high', high],
    ['low', low],
    ['close', close],
  ] as const) {
    if (v <= 0) return { reason: DropReason.NON_POSITIVE_PRICE, detail: `${name} is ${v}` };
  }
  if (volume < 0) return { reason: DropReason.NEGATIVE_VOLUME, detail: `volume is ${volume}` };
  if (high < low) return { reason: DropReason.HIGH_BELOW_LOW, detail: `high ${high} < low ${low}` };
  if (open < low || open > high)
    return { reason: DropReason.OPEN_OUTSIDE_RANGE, detail: `open ${open} outside [${low}, ${high}]` };
  if (close < low || close > high)
    return { reason: DropReason.CLOSE_OUTSIDE_RANGE, detail: `close ${close} outside [${low}, ${high}]` };
  return undefined;
}

/**
 * Parses a numeric cell strictly: empty cells and trailing garbage (`12abc`) give NaN, not 0 or 12.
 * With `decimalComma` (semicolon-delimited files), `1234,5` reads as 1234.5.
 */
export function parseNumber(cell: string | undefined, decimalComma = false): number {
  if (cell === undefined) return Number.NaN;
  const s = cell.trim();
  if (s === '') return Number.NaN;
  if (decimalComma && /^[+-]?\d+,\d+$/.test(s)) return Number(s.replace(',', '.'));
  return Number(s);
}
