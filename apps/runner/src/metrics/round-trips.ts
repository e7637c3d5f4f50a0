import type { Fill } from '../broker/types.ts';

/** A position from flat (or a flip) back to flat (or the next flip), in one symbol. */
export interface RoundTrip {
  readonly symbol: string;
  /** `long` or `short`, by the sign of the position opened. */
  readonly side: 'long' | 'short';
  readonly openedAt: number;
  readonly closedAt: number;
  /** Realised profit net of the fees of every fill in the trip (quote currency). */
  readonly pnl: number;
}

/**
 * Splits fills into round trips, per symbol. A fill that flips the position closes one trip and opens the
 * next; its fee is shared by the quantity that went to each. Trips still open at the end are not listed.
 */
export function roundTrips(fills: readonly Fill[]): RoundTrip[] {
  const open = new Map<string, { qty: number; openedAt: number; pnl: number }>();
  const out: RoundTrip[] = [];
  for (const f of fills) {
    const delta = f.side === 'buy' ? f.qty : -f.qty;
    const cur = open.get(f.symbol) ?? { qty: 0, openedAt: f.time, pnl: 0 };
    if (cur.qty === 0) {
      open.set(f.symbol, { qty: delta, openedAt: f.time, pnl: -f.fee });
      continue;
    }
    const closing = Math.sign(delta) !== Math.sign(cur.qty);
    if (!closing) {
      cur.qty += delta;
      cur.pnl -= f.fee;
      open.set(f.symbol, cur);
      continue;
    }
    const closedQty = Math.min(Math.abs(delta), Math.abs(cur.qty));
    const feeClose = (f.fee * closedQty) / f.qty;
    cur.pnl += f.realizedPnl - feeClose;
    const next = cur.qty + delta;
    if (Math.abs(next) <= 1e-9 * Math.max(1, Math.abs(cur.qty)) || Math.sign(next) !== Math.sign(cur.qty)) {
      out.push({
        symbol: f.symbol,
        side: cur.qty > 0 ? 'long' : 'short',
        openedAt: cur.openedAt,
        closedAt: f.time,
        pnl: cur.pnl,
      });
      if (Math.abs(next) > 1e-9 * Math.max(1, Math.abs(cur.qty)))
        open.set(f.symbol, { qty: next, openedAt: f.time, pnl: -(f.fee - feeClose) });
      else open.delete(f.symbol);
      continue;
    }
    cur.qty = next;
    open.set(f.symbol, cur);
  }
  return out;
}
