import type { Fill } from '@orrery/broker';
import { PaperBroker, type PortfolioSnapshot } from '@orrery/broker';
import type { Bar } from '@orrery/feeds';
import { placeDecisionOrders, scaleStep } from './decision-orders.ts';
import type { Step } from './steps.ts';
import type { CycleLike, DecisionLike } from './strategy.ts';
import { type LoopOptions, otherGross, type StepInfo } from './trading-loop.ts';

/** A cycle record as an unscheduled cycle returns it: with why it was woken. */
interface WokenRecord extends CycleLike {
  readonly wokenBy?: { readonly reasons: readonly string[] } | undefined;
}

/**
 * One poll between bar closes (an `intrabar` step): for each forming bar, unless the symbol has been
 * woken `maxWakesPerBar` times on it or operator control forbids it, the strategy peeks at the bar with
 * the account as it stands mid-bar (orders due at the bar's open filled there, marked at the last
 * price). Nothing happens unless that peek is critical. When it is, the unscheduled cycle's decision is
 * traded at once: the due orders are settled for real, the decision (held to the exposure cap) goes to
 * market and fills at the forming bar's last price with the broker's slippage, capped in its range so
 * far; fills, orders, account and the cycle record (at the poll's time) are committed together.
 *
 * @returns the progress of each wake, for `onStep`.
 */
export async function intrabarStep<R extends CycleLike>(
  o: LoopOptions<R>,
  step: Step,
  wakes: Map<string, number>,
): Promise<StepInfo<R>[]> {
  const out: StepInfo<R>[] = [];
  if (o.strategy.wake === undefined) return out;
  const asOf = step.time;
  for (const { symbol, bar } of step.bars) {
    const key = `${symbol}@${bar.time}`;
    const woken = wakes.get(key) ?? 0;
    if (woken >= (o.maxWakesPerBar ?? 1) || o.control?.wakeable?.(symbol) === false) continue;
    const portfolio = midBar(o.broker, symbol, bar);
    if (!(portfolio.equity > 0)) continue;
    const news = o.news?.(symbol, asOf);
    const input = { symbol, bar, portfolio, asOf, ...(news && news.length > 0 ? { news } : {}) };
    const record = await o.strategy.wake(input);
    if (record === null) continue;
    wakes.set(key, woken + 1);
    const fills = trade(o, symbol, bar, asOf, record);
    const cycles = [{ symbol, time: asOf, mode: record.mode, record, portfolio }];
    o.ledger.commitIntrabar(o.runId, {
      time: asOf,
      fills,
      orders: o.broker.drainChangedOrders(),
      state: o.broker.state(),
      cycles: o.storeCycles === false ? [] : cycles,
    });
    out.push({
      time: asOf,
      warm: false,
      records: [record],
      cycles,
      equity: o.broker.equity(),
      intrabar: true,
    });
  }
  return out;
}

/** The account mid-bar, on a copy: market orders due at `bar`'s open filled there, marked at its last price. */
function midBar(broker: PaperBroker, symbol: string, bar: Bar): PortfolioSnapshot {
  const copy = new PaperBroker(broker.settings, broker.state());
  copy.settleOpen(symbol, bar);
  copy.setMark(symbol, bar.close);
  return copy.view();
}

/** Settles the due orders, places the woken decision and fills it at the forming bar's last price. */
function trade<R extends CycleLike>(
  o: LoopOptions<R>,
  symbol: string,
  bar: Bar,
  asOf: number,
  record: WokenRecord,
): Fill[] {
  const fills = o.broker.settleOpen(symbol, bar);
  o.broker.setMark(symbol, bar.close);
  const why = `moon.critical: ${record.wokenBy?.reasons.join('; ') ?? 'critical update'}`;
  const woken: DecisionLike = {
    ...record.decision,
    rationale: `intrabar, woken by ${why}; ${record.decision.rationale}`,
  };
  const view = o.broker.view();
  const [decision] =
    o.maxExposure === undefined
      ? [woken]
      : scaleStep([woken], otherGross(view, new Set([symbol])), o.maxExposure);
  placeDecisionOrders(o.broker, o.runId, symbol, { ...bar, time: asOf }, decision!, o.minTradeFraction, true);
  fills.push(...o.broker.fillIntrabar(symbol, bar, asOf, `intrabar fill (${why})`.slice(0, 200)));
  return fills;
}
