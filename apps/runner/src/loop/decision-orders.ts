import type { Bar } from '@orrery/agents';
import type { PaperBroker } from '@orrery/broker';
import type { DecisionLike } from './strategy.ts';

/**
 * Turns a decision on `bar` into orders: an order for the difference between the target position
 * (`targetFraction × equity / close`) and the position held — a market order, or as the decision's
 * execution plan says (a limit at the close, nothing on a thin bar, at most a share of the bar's volume;
 * risk and operator exits always go at market) — and a protective stop when the decision carries
 * `stopPrice`. Order ids are `${runId}/${symbol}/${bar.time}/rebalance|stop`, so replaying the same
 * bar after a crash places nothing twice. A `hold` changes nothing; `flatten` targets zero and cancels the
 * symbol's stops.
 *
 * @param minTradeFraction position changes smaller than this fraction of equity are not traded.
 * @param intrabar set for an unscheduled cycle's decision on a bar still forming (`bar.time` is when it
 *   was read): the trade goes at market whatever the plan says, and ids end in `/intrabar` and
 *   `/intrabar-stop`.
 */
export function placeDecisionOrders(
  broker: PaperBroker,
  runId: string,
  symbol: string,
  bar: Bar,
  decision: DecisionLike,
  minTradeFraction: number,
  intrabar = false,
): void {
  if (decision.action === 'hold') return;
  const equity = broker.equity();
  const target = decision.action === 'flatten' ? 0 : decision.targetFraction;
  const held = broker.qty(symbol);
  const targetQty = Number.isFinite(target) ? (target * equity) / bar.close : held;
  const delta = targetQty - held;
  const prefix = `${runId}/${symbol}/${bar.time}`;
  const reason = `${decision.source}: ${decision.rationale}`.slice(0, 200);

  // The execution plan: how and when, never which way. Exits the risk rules force are always market
  // orders; a thin bar defers any other trade; large orders are cut to a share of the bar's volume.
  const plan = decision.execution;
  const forced = decision.source === 'risk' || decision.source === 'operator' || intrabar;
  const skip = plan?.skip === true && !forced;
  const limit =
    plan?.orderType === 'limit' && !forced && plan.limitPrice !== undefined && plan.limitPrice > 0;
  let qty = Math.abs(delta);
  if (plan !== undefined && !forced && bar.volume > 0)
    qty = Math.min(qty, plan.maxParticipation * bar.volume);
  if (!skip && qty * bar.close >= minTradeFraction * equity && qty > 0) {
    broker.place({
      id: intrabar ? `${prefix}/intrabar` : `${prefix}/rebalance`,
      symbol,
      side: delta > 0 ? 'buy' : 'sell',
      type: limit ? 'limit' : 'market',
      qty,
      ...(limit ? { limitPrice: plan!.limitPrice! } : {}),
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
      id: intrabar ? `${prefix}/intrabar-stop` : `${prefix}/stop`,
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

/**
 * Holds one step's decisions to the leverage cap: when the targets (holds count at their current weight,
 * symbols that did not decide at theirs in `otherGross`) add up to more than `maxExposure` of equity,
 * every target is scaled down by the same factor, and a hold that must shrink becomes a trade.
 */
export function scaleStep<D extends DecisionLike>(
  decisions: readonly D[],
  otherGross: number,
  maxExposure: number,
): D[] {
  const own = decisions.reduce((a, d) => a + Math.abs(d.targetFraction), 0);
  if (!(own + otherGross > maxExposure) || decisions.length === 0) return [...decisions];
  const room = Math.max(0, maxExposure - otherGross);
  const scale = own > 0 ? Math.min(1, room / own) : 1;
  return decisions.map((d) => {
    const t = d.targetFraction * scale;
    if (t === d.targetFraction) return d;
    return {
      ...d,
      action:
        t === 0
          ? 'flatten'
          : t > 0
            ? d.action === 'hold'
              ? 'sell'
              : d.action
            : d.action === 'hold'
              ? 'buy'
              : d.action,
      targetFraction: t,
      rationale: `${d.rationale} [portfolio: targets scaled x ${Number(scale.toPrecision(4))} to the ${maxExposure} exposure cap]`,
    };
  });
}
