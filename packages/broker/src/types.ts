/** Which way an order trades. */
export type OrderSide = 'buy' | 'sell';

/**
 * `market` fills at the next bar's open (plus slippage); `limit` fills when the next bar trades through
 * the limit, at the limit or better (no slippage); `stop` becomes a market order when a bar trades
 * through the stop, filling at the stop or, on a gap, at the open (plus slippage).
 */
export type OrderType = 'market' | 'limit' | 'stop';

/** `next-bar`: expires if the next bar does not fill it. `gtc`: stays until filled or cancelled. */
export type TimeInForce = 'next-bar' | 'gtc';

/** Life of an order. `cancelled` includes orders the broker refused at fill time (no cash). */
export type OrderStatus = 'open' | 'filled' | 'cancelled' | 'expired';

/** What the loop asks the broker for. */
export interface OrderRequest {
  /** Idempotent id: placing the same id twice returns the first order. */
  readonly id: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  /** Quantity in base units (shares, coins), > 0. */
  readonly qty: number;
  /** Required for `limit`. */
  readonly limitPrice?: number;
  /** Required for `stop`. */
  readonly stopPrice?: number;
  /** Time of the bar the decision was made on (epoch ms). The order can fill only on a later bar. */
  readonly placedAt: number;
  /** Default `next-bar` for market and limit orders, `gtc` for stops. */
  readonly tif?: TimeInForce;
  /** Why it was placed (decision source, rationale head). */
  readonly reason: string;
}

/** An order as the broker holds it. */
export interface Order extends Required<Omit<OrderRequest, 'limitPrice' | 'stopPrice'>> {
  readonly limitPrice: number | undefined;
  readonly stopPrice: number | undefined;
  status: OrderStatus;
  /** Quantity actually filled (less than `qty` when cash ran short). */
  filledQty: number;
  /** Why it ended, when it did not fill (expired, no cash, replaced). */
  note: string | undefined;
  /** Time of the bar it was filled, cancelled or expired on. */
  closedAt: number | undefined;
}

/** One execution. A fill's id is its order's id: an order fills at most once. */
export interface Fill {
  readonly id: string;
  readonly symbol: string;
  readonly side: OrderSide;
  /** Time of the bar it filled on (epoch ms). */
  readonly time: number;
  /** Base units, > 0. */
  readonly qty: number;
  /** Execution price per unit, after slippage. */
  readonly price: number;
  /** Fee charged in quote currency. */
  readonly fee: number;
  /** Slippage cost in quote currency (|price − reference| × qty). */
  readonly slippage: number;
  /** Gross profit realised by the part of this fill that reduced a position (fees excluded). */
  readonly realizedPnl: number;
}

/** An open position. `qty` is signed: negative is short. */
export interface Position {
  qty: number;
  /** Average entry price of the open quantity. */
  avgPrice: number;
}

/** Costs and limits of the paper account. */
export interface BrokerSettings {
  /** Starting cash, quote currency. */
  readonly initialCash: number;
  /** Fee per fill, basis points of notional, charged on buys and sells alike. */
  readonly feeBps: number;
  /** Slippage against the trader, basis points of price. */
  readonly slippageBps: number;
  /** Extra slippage as a fraction of the fill bar's range (high − low), 0..1, capped at the bar's extreme. */
  readonly slippageRangeFraction: number;
  /** Whether positions may go below zero. */
  readonly allowShort: boolean;
  /** Gross exposure limit as a multiple of equity; above 1 lets cash go negative (margin). */
  readonly maxLeverage: number;
  /** Quantities are rounded down to a multiple of this; 0 allows any fraction. */
  readonly lotSize: number;
}
