import type { Fill } from '@orrery/broker';

/** A position from flat (or a flip) back to flat (or the next flip), in one symbol. */
export interface RoundTrip {
  readonly symbol: string;
  /** `long` or `short`, by the sign of the position opened. */
  readonly side: 'long' | 'short';
  readonly openedAt: number;
  readonly closedAt: number;
  /** Realised profit net of the fees of every fill in the trip (quote currency). */
  readonly pnl: number;
  /** Quantity-weighted price of the fills that opened or added to the position. */
  readonly entryPrice: number;
  /** Quantity-weighted price of the fills that reduced or closed it. */
  readonly exitPrice: number;
  /** Base units opened (all the adds), > 0. */
  readonly qty: number;
  /** What the opening quantity cost, `Σ qty × price` of the adds (quote currency). */
  readonly entryNotional: number;
  /** The fill that opened the trip and the one that closed it (fill id = order id). */
  readonly entryFillId: string;
  readonly exitFillId: string;
}

/** A trip still open after the last fill: what {@link RoundTrip} knows before its exit. */
export interface OpenTrip {
  readonly symbol: string;
  readonly side: 'long' | 'short';
  readonly openedAt: number;
  /** Signed quantity still held. */
  readonly held: number;
  /** Realised so far (partial exits) net of every fee paid so far. */
  readonly pnl: number;
  readonly entryPrice: number;
  readonly qty: number;
  readonly entryNotional: number;
  /** Cash the trip's fills brought in (sells) minus what they cost (buys), fees included: with the
   * position marked at `m`, the trip's P&L is `cashFlow + held × m`. */
  readonly cashFlow: number;
  /** Quantity reduced so far and what it sold (or bought back) for. */
  readonly exitQty: number;
  readonly exitNotional: number;
  readonly entryFillId: string;
}

interface Building {
  qty: number;
  openedAt: number;
  pnl: number;
  addQty: number;
  addNotional: number;
  exitQty: number;
  exitNotional: number;
  flow: number;
  entryFillId: string;
}

const flat = (q: number, ref: number) => Math.abs(q) <= 1e-9 * Math.max(1, Math.abs(ref));

/**
 * Splits fills into round trips per symbol, and the trips still open at the end. A fill that flips the
 * position closes one trip and opens the next; its fee is shared by the quantity that went to each.
 */
export function splitTrips(fills: readonly Fill[]): { closed: RoundTrip[]; open: OpenTrip[] } {
  const open = new Map<string, Building>();
  const out: RoundTrip[] = [];
  const start = (f: Fill, qty: number, fee: number): Building => ({
    qty,
    openedAt: f.time,
    pnl: -fee,
    flow: -qty * f.price - fee,
    addQty: Math.abs(qty),
    addNotional: Math.abs(qty) * f.price,
    exitQty: 0,
    exitNotional: 0,
    entryFillId: f.id,
  });
  for (const f of fills) {
    const delta = f.side === 'buy' ? f.qty : -f.qty;
    const cur = open.get(f.symbol);
    if (cur === undefined || cur.qty === 0) {
      open.set(f.symbol, start(f, delta, f.fee));
      continue;
    }
    if (Math.sign(delta) === Math.sign(cur.qty)) {
      cur.qty += delta;
      cur.pnl -= f.fee;
      cur.flow -= delta * f.price + f.fee;
      cur.addQty += f.qty;
      cur.addNotional += f.qty * f.price;
      continue;
    }
    const closedQty = Math.min(Math.abs(delta), Math.abs(cur.qty));
    const feeClose = (f.fee * closedQty) / f.qty;
    cur.pnl += f.realizedPnl - feeClose;
    cur.exitQty += closedQty;
    cur.flow += Math.sign(cur.qty) * closedQty * f.price - feeClose;
    cur.exitNotional += closedQty * f.price;
    const next = cur.qty + delta;
    if (flat(next, cur.qty) || Math.sign(next) !== Math.sign(cur.qty)) {
      out.push({
        symbol: f.symbol,
        side: cur.qty > 0 ? 'long' : 'short',
        openedAt: cur.openedAt,
        closedAt: f.time,
        pnl: cur.pnl,
        entryPrice: cur.addNotional / cur.addQty,
        exitPrice: cur.exitNotional / cur.exitQty,
        qty: cur.addQty,
        entryNotional: cur.addNotional,
        entryFillId: cur.entryFillId,
        exitFillId: f.id,
      });
      if (flat(next, cur.qty)) open.delete(f.symbol);
      else open.set(f.symbol, start(f, next, f.fee - feeClose));
      continue;
    }
    cur.qty = next;
  }
  return {
    closed: out,
    open: [...open].map(([symbol, b]) => ({
      symbol,
      side: b.qty > 0 ? 'long' : 'short',
      openedAt: b.openedAt,
      held: b.qty,
      pnl: b.pnl,
      entryPrice: b.addNotional / b.addQty,
      qty: b.addQty,
      entryNotional: b.addNotional,
      cashFlow: b.flow,
      exitQty: b.exitQty,
      exitNotional: b.exitNotional,
      entryFillId: b.entryFillId,
    })),
  };
}

/** The closed round trips of {@link splitTrips}; trips still open at the end are not listed. */
export function roundTrips(fills: readonly Fill[]): RoundTrip[] {
  return splitTrips(fills).closed;
}
