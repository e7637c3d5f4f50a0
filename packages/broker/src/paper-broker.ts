import type { Bar } from '@orrery/agents';
import { BrokerError } from './errors.ts';
import type { BrokerSettings, Fill, Order, OrderRequest, Position } from './types.ts';

/** What a broker can be restored from (the ledger's last committed state). */
export interface BrokerState {
  readonly cash: number;
  readonly positions: Readonly<Record<string, Position>>;
  /** Orders still open. */
  readonly openOrders: readonly Order[];
  /** Last known price per symbol (for marking). */
  readonly marks: Readonly<Record<string, number>>;
}

/** The account as the agents see it (`@orrery/agents`' `PortfolioView`). */
export interface PortfolioSnapshot {
  readonly equity: number;
  readonly cash: number;
  readonly positions: Record<string, { qty: number; avgPrice: number }>;
}

const EPS = 1e-9;

/**
 * A simulated account: cash, positions, open orders. It has no connection to any exchange — there is no
 * live order path to reach. Orders placed on a bar fill only on a later bar of the same symbol (at its
 * open for market orders), so a decision taken on a bar's close cannot trade at that close.
 *
 * Stop orders are reduce-only: they close at most the position they protect and never open one.
 *
 * Accounting: a buy costs `qty × price + fee`, a sell brings `qty × price − fee`; equity is
 * `cash + Σ qty × mark`. Without margin (`maxLeverage ≤ 1`) a fill that would take cash below zero is cut
 * to what the cash allows, or cancelled.
 */
export class PaperBroker {
  readonly settings: BrokerSettings;
  #cash: number;
  readonly #positions = new Map<string, Position>();
  readonly #open = new Map<string, Order>();
  readonly #marks = new Map<string, number>();
  /** Orders created or changed since the last {@link PaperBroker.drainChangedOrders}. */
  readonly #changed = new Map<string, Order>();
  /** Every id ever seen (idempotency across a run). */
  readonly #known = new Set<string>();

  /** @throws BrokerError when the settings are out of range. */
  constructor(settings: BrokerSettings, state?: BrokerState) {
    validateSettings(settings);
    this.settings = settings;
    this.#cash = state?.cash ?? settings.initialCash;
    for (const [s, p] of Object.entries(state?.positions ?? {})) this.#positions.set(s, { ...p });
    for (const o of state?.openOrders ?? []) {
      this.#open.set(o.id, { ...o });
      this.#known.add(o.id);
    }
    for (const [s, m] of Object.entries(state?.marks ?? {})) this.#marks.set(s, m);
  }

  /** Cash, quote currency. */
  get cash(): number {
    return this.#cash;
  }

  /** Signed quantity held of `symbol` (0 when none). */
  qty(symbol: string): number {
    return this.#positions.get(symbol)?.qty ?? 0;
  }

  /** Last price `symbol` was marked at. */
  mark(symbol: string): number | undefined {
    return this.#marks.get(symbol);
  }

  /** Open positions, copied. */
  positions(): Record<string, Position> {
    return Object.fromEntries([...this.#positions].map(([s, p]) => [s, { ...p }]));
  }

  /** Open orders, oldest first, copied. */
  openOrders(): Order[] {
    return [...this.#open.values()].map((o) => ({ ...o }));
  }

  /** `cash + Σ qty × last mark`. */
  equity(): number {
    let e = this.#cash;
    for (const [s, p] of this.#positions) e += p.qty * (this.#marks.get(s) ?? p.avgPrice);
    return e;
  }

  /** The account as a plain value for the agents. */
  view(): PortfolioSnapshot {
    return { equity: this.equity(), cash: this.#cash, positions: this.positions() };
  }

  /** The state to persist, and to restore from with `new PaperBroker(settings, state)`. */
  state(): BrokerState {
    return {
      cash: this.#cash,
      positions: this.positions(),
      openOrders: this.openOrders(),
      marks: Object.fromEntries(this.#marks),
    };
  }

  /** Records the latest price of `symbol` (a bar's close) for equity. */
  setMark(symbol: string, price: number): void {
    this.#marks.set(symbol, price);
  }

  /**
   * Places an order. Placing an id already placed returns that order unchanged (no second order).
   *
   * @throws BrokerError on a non-positive or non-finite quantity, a missing or bad limit/stop price, or a
   *   stop whose side does not match a stop (a sell stop above the mark or a buy stop below it is allowed:
   *   it triggers on the next bar).
   */
  place(req: OrderRequest): Order {
    const existing = this.#open.get(req.id);
    if (existing) return { ...existing };
    if (this.#known.has(req.id)) throw new BrokerError(`order ${req.id} was already placed and has closed`);
    if (!(req.qty > 0) || !Number.isFinite(req.qty))
      throw new BrokerError(`order ${req.id}: qty must be a positive number, got ${req.qty}`);
    if (req.type === 'limit' && !(Number(req.limitPrice) > 0))
      throw new BrokerError(`order ${req.id}: a limit order needs a positive limitPrice`);
    if (req.type === 'stop' && !(Number(req.stopPrice) > 0))
      throw new BrokerError(`order ${req.id}: a stop order needs a positive stopPrice`);
    const order: Order = {
      id: req.id,
      symbol: req.symbol,
      side: req.side,
      type: req.type,
      qty: req.qty,
      limitPrice: req.limitPrice,
      stopPrice: req.stopPrice,
      placedAt: req.placedAt,
      tif: req.tif ?? (req.type === 'stop' ? 'gtc' : 'next-bar'),
      reason: req.reason,
      status: 'open',
      filledQty: 0,
      note: undefined,
      closedAt: undefined,
    };
    this.#open.set(order.id, order);
    this.#known.add(order.id);
    this.#changed.set(order.id, order);
    return { ...order };
  }

  /** Cancels an open order (no-op when it is not open). */
  cancel(id: string, time: number, note: string): void {
    const o = this.#open.get(id);
    if (!o) return;
    this.#close(o, 'cancelled', time, note);
  }

  /**
   * Executes the open orders of `bar`'s symbol placed before `bar.time`: market orders at the open, then
   * limits and stops the bar trades through, in the order they were placed; a bar without trades (see
   * {@link hadTrades}) fills nothing. Then marks the symbol at the bar's close.
   *
   * @returns the fills, in execution order.
   */
  onBar(symbol: string, bar: Bar): Fill[] {
    const fills: Fill[] = [];
    const due = [...this.#open.values()].filter((o) => o.symbol === symbol && o.placedAt < bar.time);
    const ordered = [...due.filter((o) => o.type === 'market'), ...due.filter((o) => o.type !== 'market')];
    for (const o of ordered) {
      if (o.status !== 'open') continue;
      const price = hadTrades(bar) ? this.#triggerPrice(o, bar) : undefined;
      if (price === undefined) {
        if (o.tif === 'next-bar')
          this.#close(
            o,
            'expired',
            bar.time,
            hadTrades(bar) ? 'not filled on the next bar' : 'the next bar had no trades',
          );
        continue;
      }
      const fill = this.#execute(o, bar, price);
      if (fill) fills.push(fill);
    }
    this.#marks.set(symbol, bar.close);
    return fills;
  }

  /**
   * On a bar still forming (`orrery run`'s intrabar wake): fills the market orders of `symbol` placed
   * before `bar.time` at its open — where {@link PaperBroker.onBar} will fill them at the close — with
   * slippage on the range so far, so an unscheduled decision starts from the account it really has.
   * Limits and stops wait for the close (the rest of the bar may still trade through them). Marks nothing.
   */
  settleOpen(symbol: string, bar: Bar): Fill[] {
    if (!hadTrades(bar)) return [];
    const due = [...this.#open.values()].filter(
      (o) => o.symbol === symbol && o.type === 'market' && o.placedAt < bar.time,
    );
    return due.flatMap((o) => this.#execute(o, bar, bar.open) ?? []);
  }

  /**
   * An intrabar fill: the market orders of `symbol` placed at `asOf` (an unscheduled cycle's) execute at
   * once at the forming bar's last price (`bar.close`) with the usual slippage, capped inside the range
   * so far, stamped `asOf`, with the note `intrabar …`. Then marks the symbol at that price.
   */
  fillIntrabar(symbol: string, bar: Bar, asOf: number, note: string): Fill[] {
    const fills: Fill[] = [];
    const at = { ...bar, time: asOf };
    for (const o of [...this.#open.values()]) {
      if (o.symbol !== symbol || o.type !== 'market' || o.placedAt !== asOf) continue;
      const fill = this.#execute(o, at, bar.close);
      if (fill === undefined) continue;
      o.note = o.note === undefined ? note : `${note}; ${o.note}`;
      fills.push(fill);
    }
    this.#marks.set(symbol, bar.close);
    return fills;
  }

  /** Orders created or changed since the last call, for the ledger. */
  drainChangedOrders(): Order[] {
    const out = [...this.#changed.values()].map((o) => ({ ...o }));
    this.#changed.clear();
    return out;
  }

  /** The reference price an order executes at on `bar` before slippage, or undefined when it does not. */
  #triggerPrice(o: Order, bar: Bar): number | undefined {
    switch (o.type) {
      case 'market':
        return bar.open;
      case 'limit': {
        const lim = o.limitPrice!;
        if (o.side === 'buy') return bar.low <= lim ? Math.min(bar.open, lim) : undefined;
        return bar.high >= lim ? Math.max(bar.open, lim) : undefined;
      }
      case 'stop': {
        const stop = o.stopPrice!;
        if (o.side === 'sell') return bar.low <= stop ? Math.min(bar.open, stop) : undefined;
        return bar.high >= stop ? Math.max(bar.open, stop) : undefined;
      }
      default: {
        const never: never = o.type;
        throw new BrokerError(`unknown order type ${String(never)}`);
      }
    }
  }

  #execute(o: Order, bar: Bar, ref: number): Fill | undefined {
    const s = this.settings;
    const buy = o.side === 'buy';
    // Limit orders get their price; market and triggered stops pay slippage, capped at the bar's extreme.
    // Every slippage is applied first and the result capped at the bar's extreme: no fill is ever
    // outside the bar's [low, high].
    let price = ref;
    if (o.type !== 'limit') {
      const rangeSlip = s.slippageRangeFraction * (bar.high - bar.low);
      price = buy ? ref + rangeSlip : ref - rangeSlip;
      price *= buy ? 1 + s.slippageBps / 1e4 : 1 - s.slippageBps / 1e4;
      price = buy ? Math.max(ref, Math.min(bar.high, price)) : Math.min(ref, Math.max(bar.low, price));
    }
    const qty = this.#affordable(o, price);
    if (qty <= EPS) {
      const why =
        o.type === 'stop'
          ? 'no position left for the stop to protect'
          : 'no cash or exposure room at fill time';
      this.#close(o, 'cancelled', bar.time, why);
      return undefined;
    }
    const notional = qty * price;
    const fee = (notional * s.feeBps) / 1e4;
    const realizedPnl = this.#applyPosition(o.symbol, buy ? qty : -qty, price);
    this.#cash += buy ? -notional - fee : notional - fee;
    o.filledQty = qty;
    this.#close(o, 'filled', bar.time, qty < o.qty - EPS ? `cut to ${qty} by cash or limits` : undefined);
    return {
      id: o.id,
      symbol: o.symbol,
      side: o.side,
      time: bar.time,
      qty,
      price,
      fee,
      slippage: Math.abs(price - ref) * qty,
      realizedPnl,
    };
  }

  /** The part of `o` the account can carry at `price`: no short without `allowShort`, leverage, cash. */
  #affordable(o: Order, price: number): number {
    const s = this.settings;
    const held = this.qty(o.symbol);
    const dir = o.side === 'buy' ? 1 : -1;
    let qty = o.qty;
    // Stops protect a position: they only ever reduce it, never open or flip one.
    if (o.type === 'stop') return Math.sign(held) === -dir ? this.#lots(Math.min(qty, Math.abs(held))) : 0;
    if (dir < 0 && !s.allowShort) qty = Math.min(qty, Math.max(0, held));
    const after = held + dir * qty;
    // Reducing a position is always allowed; growing one (or opening the other side) is bounded.
    if (Math.abs(after) > Math.abs(held) || Math.sign(after) === -Math.sign(held)) {
      const equity = this.#equityAt(o.symbol, price);
      const fee = s.feeBps / 1e4;
      let others = 0;
      for (const [sym, p] of this.#positions)
        if (sym !== o.symbol) others += Math.abs(p.qty * (this.#marks.get(sym) ?? p.avgPrice));
      // Largest |position| the leverage limit allows in this symbol.
      const room = Math.max(0, (s.maxLeverage * equity - others) / (price * (1 + fee)));
      const flips = held !== 0 && Math.sign(after) === -Math.sign(held);
      qty = Math.min(qty, flips ? Math.abs(held) + room : Math.max(0, room - Math.abs(held)));
      if (dir > 0) {
        // Cash pays for what a buy adds beyond covering a short; margin lends up to (leverage − 1) × equity.
        const cover = Math.max(0, -held);
        const borrow = Math.max(0, s.maxLeverage - 1) * Math.max(0, equity);
        const cashAfterCover = this.#cash - cover * price * (1 + fee);
        qty = Math.min(qty, cover + Math.max(0, (cashAfterCover + borrow) / (price * (1 + fee))));
      }
    }
    return this.#lots(qty);
  }

  #lots(qty: number): number {
    const lot = this.settings.lotSize;
    return lot > 0 ? Math.floor(qty / lot + EPS) * lot : qty;
  }

  #equityAt(symbol: string, price: number): number {
    let e = this.#cash;
    for (const [s, p] of this.#positions)
      e += p.qty * (s === symbol ? price : (this.#marks.get(s) ?? p.avgPrice));
    return e;
  }

  /** Updates the position by a signed quantity; returns the gross PnL realised by the closing part. */
  #applyPosition(symbol: string, delta: number, price: number): number {
    const p = this.#positions.get(symbol) ?? { qty: 0, avgPrice: 0 };
    let realized = 0;
    const next = p.qty + delta;
    if (p.qty !== 0 && Math.sign(delta) !== Math.sign(p.qty)) {
      const closed = Math.min(Math.abs(delta), Math.abs(p.qty));
      realized = closed * (price - p.avgPrice) * Math.sign(p.qty);
    }
    if (Math.abs(next) <= EPS) {
      this.#positions.delete(symbol);
      return realized;
    }
    if (p.qty === 0 || Math.sign(next) !== Math.sign(p.qty)) p.avgPrice = price;
    else if (Math.abs(next) > Math.abs(p.qty)) p.avgPrice = (p.avgPrice * p.qty + price * delta) / next;
    p.qty = next;
    this.#positions.set(symbol, p);
    return realized;
  }

  #close(o: Order, status: Order['status'], time: number, note: string | undefined): void {
    o.status = status;
    o.closedAt = time;
    o.note = note;
    this.#open.delete(o.id);
    this.#changed.set(o.id, o);
  }
}

/**
 * Whether anything traded in `bar`: zero volume with no price range (open = high = low = close) is an
 * hour or day without a trade (an exchange's filler bar), and nothing can fill on it. Zero volume WITH a
 * range is a source that does not report volume (index data), and fills as usual.
 */
export function hadTrades(bar: Bar): boolean {
  return bar.volume > 0 || bar.high > bar.low || bar.open !== bar.close;
}

/** @throws BrokerError naming the first setting out of range. */
export function validateSettings(s: BrokerSettings): void {
  const bad = (name: string, why: string) => new BrokerError(`broker.${name} ${why}`);
  if (!(s.initialCash > 0)) throw bad('initialCash', `must be > 0, got ${s.initialCash}`);
  if (!(s.feeBps >= 0 && s.feeBps < 1000)) throw bad('feeBps', `must be in [0, 1000), got ${s.feeBps}`);
  if (!(s.slippageBps >= 0 && s.slippageBps < 1000))
    throw bad('slippageBps', `must be in [0, 1000), got ${s.slippageBps}`);
  if (!(s.slippageRangeFraction >= 0 && s.slippageRangeFraction <= 1))
    throw bad('slippageRangeFraction', `must be in [0, 1], got ${s.slippageRangeFraction}`);
  if (!(s.maxLeverage > 0)) throw bad('maxLeverage', `must be > 0, got ${s.maxLeverage}`);
  if (!(s.lotSize >= 0)) throw bad('lotSize', `must be >= 0, got ${s.lotSize}`);
}
