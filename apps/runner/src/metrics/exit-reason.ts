import type { Order } from '@orrery/broker';

/** The fields of a stored cycle record an exit reason reads (a subset of `@orrery/agents`' `CycleRecord`). */
export interface ExitCycle {
  readonly mode?: string;
  readonly decision?: { readonly source?: string };
  readonly fallback?: string;
  readonly clamps?: readonly string[];
}

/** Why a position was closed: who decided (`source`) and, in words, what made it. */
export interface ExitReason {
  /**
   * `stop` (a protective stop order filled), the decision's source of the bar that placed the exit
   * order (`risk`, `monitor`, `consensus`, `sun`, `backup-sun`, `operator`), `open` (still held at the
   * end) or `unknown` (no order on record).
   */
  readonly source: string;
  /** One line: the source in words, then the risk clamps, fallback and mode of that bar's cycle. */
  readonly text: string;
}

const LABEL: Readonly<Record<string, string>> = {
  risk: 'risk rule',
  monitor: 'monitor rebalance',
  consensus: 'planet consensus',
  sun: 'sun',
  'backup-sun': 'backup sun',
  operator: 'operator',
};

/**
 * Explains the exit of the order `orderId` (a fill's id is its order's id): a stop order is a stop hit;
 * otherwise the source named at the head of the order's reason (`source: rationale`, as the loop writes
 * it) or, failing that, of the decision of the cycle on the bar that placed the order, with that cycle's
 * risk clamps, fallback and mode.
 */
export function exitReason(
  orderId: string,
  orders: ReadonlyMap<string, Order>,
  cycleAt: (symbol: string, time: number) => ExitCycle | undefined,
): ExitReason {
  const order = orders.get(orderId);
  if (order === undefined) return { source: 'unknown', text: 'no order on record' };
  const cycle = cycleAt(order.symbol, order.placedAt);
  if (order.type === 'stop') {
    const at = order.stopPrice === undefined ? '' : ` at ${order.stopPrice.toPrecision(6)}`;
    const placed = new Date(order.placedAt).toISOString().slice(0, 10);
    return { source: 'stop', text: `stop order${at} (placed ${placed}) hit` };
  }
  const head = /^([a-z][a-z-]*): ?(.*)$/s.exec(order.reason);
  const source = head?.[1] ?? cycle?.decision?.source ?? 'unknown';
  const parts = [LABEL[source] ?? source];
  if (source === 'operator') {
    if (head?.[2]) parts.push(head[2]);
  } else if (cycle !== undefined) {
    if (cycle.clamps !== undefined && cycle.clamps.length > 0)
      parts.push(`clamped: ${cycle.clamps.join('; ')}`);
    if (cycle.fallback) parts.push(`fallback: ${cycle.fallback}`);
    if (cycle.mode) parts.push(cycle.mode);
  }
  // The loop scales a step's targets down together at the exposure cap and says so in the rationale.
  if (order.reason.includes('[portfolio: targets scaled')) parts.push('scaled to the exposure cap');
  return { source, text: parts.join(' · ') };
}
