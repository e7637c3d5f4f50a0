import { InvalidInputError } from './errors.ts';

/**
 * One OHLCV bar. Prices in the quote currency, `volume` in units traded. (A type alias rather than an
 * interface, so a bar is assignable to JSON record types, e.g. in bus message bodies.)
 */
export type Bar = {
  /** Bar open time, epoch milliseconds. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
};

/** What the agents may know about the account when deciding. Values in the quote currency. */
export interface PortfolioView {
  equity: number;
  cash: number;
  /**
   * Open positions by symbol; `qty` is signed (negative = short). `markPrice`, when given, is the latest
   * price (used for the exposure of the other symbols; `avgPrice` otherwise).
   */
  positions: Record<string, { qty: number; avgPrice: number; markPrice?: number }>;
}

/**
 * Checks a bar and throws {@link InvalidInputError} naming the first broken field: non-finite or
 * non-positive prices, `high` below `low`, open/close outside the range, negative volume.
 */
export function assertValidBar(bar: Bar, where = 'bar'): void {
  for (const key of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) {
    if (typeof bar[key] !== 'number' || !Number.isFinite(bar[key])) {
      throw new InvalidInputError(`${where}.${key} must be a finite number, got ${String(bar[key])}`, {
        field: `${where}.${key}`,
      });
    }
  }
  for (const key of ['open', 'high', 'low', 'close'] as const) {
    if (bar[key] <= 0) {
      throw new InvalidInputError(`${where}.${key} must be > 0, got ${bar[key]}`, {
        field: `${where}.${key}`,
      });
    }
  }
  if (bar.volume < 0) {
    throw new InvalidInputError(`${where}.volume must be >= 0, got ${bar.volume}`, {
      field: `${where}.volume`,
    });
  }
  if (bar.high < bar.low) {
    throw new InvalidInputError(`${where}.high (${bar.high}) is below ${where}.low (${bar.low})`, {
      field: `${where}.high`,
    });
  }
  const top = bar.high * (1 + 1e-9);
  const bottom = bar.low * (1 - 1e-9);
  for (const key of ['open', 'close'] as const) {
    if (bar[key] > top || bar[key] < bottom) {
      throw new InvalidInputError(
        `${where}.${key} (${bar[key]}) lies outside [low ${bar.low}, high ${bar.high}]`,
        { field: `${where}.${key}` },
      );
    }
  }
}

/** Checks a portfolio view; throws {@link InvalidInputError} naming the broken field. */
export function assertValidPortfolio(p: PortfolioView): void {
  if (!Number.isFinite(p.equity) || p.equity <= 0) {
    throw new InvalidInputError(`portfolio.equity must be a finite number > 0, got ${p.equity}`, {
      field: 'portfolio.equity',
    });
  }
  if (!Number.isFinite(p.cash)) {
    throw new InvalidInputError(`portfolio.cash must be finite, got ${p.cash}`, { field: 'portfolio.cash' });
  }
  for (const [sym, pos] of Object.entries(p.positions)) {
    if (
      !Number.isFinite(pos.qty) ||
      !Number.isFinite(pos.avgPrice) ||
      (pos.markPrice !== undefined && !(pos.markPrice > 0))
    ) {
      throw new InvalidInputError(
        `portfolio.positions.${sym} must have finite qty and avgPrice, and a markPrice > 0 if any`,
        {
          field: `portfolio.positions.${sym}`,
        },
      );
    }
  }
}

/** The signed position in `symbol` as a fraction of equity, at `price`. */
export function positionFraction(p: PortfolioView, symbol: string, price: number): number {
  const qty = p.positions[symbol]?.qty ?? 0;
  return (qty * price) / p.equity;
}
