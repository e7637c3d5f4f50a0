import type { PaperBroker } from '../broker/paper-broker.ts';
import type { Bar } from '../feeds/bar.ts';
import type { DecisionLike } from './strategy.ts';

/**
 * Turns a decision on `bar` into orders: a market order for the difference between the target position
 * (`targetFraction × equity / close`) and the position held, and a protective stop when the decision
 * carries `stopPrice`. Order ids are `${runId}/${symbol}/${bar.time}/rebalance|stop`, so replaying the same
 * bar after a crash places nothing twice. A `hold` changes nothing; `flatten` targets zero and cancels the
 * symbol's stops.
 *
 * @param minTradeFraction position changes smaller than this fraction of equity are not traded.
 */
export function placeDecisionOrders(
  broker: PaperBroker,
  runId: string,
  symbol: string,
  bar: Bar,
  decision: DecisionLike,
  minTradeFraction: number,
): void {
  if (decision.action === 'hold') return;
  const equity = broker.equity();
  const target = decision.action === 'flatten' ? 0 : decision.targetFraction;
  const held = broker.qty(symbol);
  const targetQty = Number.isFinite(target) ? (target * equity) / bar.close : held;
  const delta = targetQty - held;
  const prefix = `${runId}/${symbol}/${bar.time}`;
  const reason = `${decision.source}: ${decision.rationale}`.slice(0, 200);

  if (Math.abs(delta) * bar.close >= minTradeFraction * equity && Math.abs(delta) > 0) {
    broker.place({
      id: `${prefix}/rebalance`,
      symbol,
      side: delta > 0 ? 'buy' : 'sell',
      type: 'market',
      qty: Math.abs(delta),
      placedAt: bar.time,
      reason,
    });
  }

  const stops = broker.openOrders().filter((o) => o.symbol === symbol && o.type === 'stop');
  const wantsStop = decision.stopPrice !== undefined && decision.stopPrice > 0 && targetQty !== 0;
  if (target === 0 || wantsStop) {
    for (const s of stops) broker.cancel(s.id, bar.time, target === 0 ? 'position flattened' : 'replaced');
  }
  if (wantsStop) {
    broker.place({
      id: `${prefix}/stop`,
      symbol,
      side: targetQty > 0 ? 'sell' : 'buy',
      type: 'stop',
      qty: Math.abs(targetQty),
      stopPrice: decision.stopPrice!,
      placedAt: bar.time,
      tif: 'gtc',
      reason: `stop for ${reason}`.slice(0, 200),
    });
  }
}
