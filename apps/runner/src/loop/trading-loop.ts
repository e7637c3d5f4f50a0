import type { Bar } from '@orrery/agents';
import type { Ledger, PaperBroker, PortfolioSnapshot, StoredCycle } from '@orrery/broker';
import type { LoopControl } from '../control/loop-control.ts';
import { placeDecisionOrders, scaleStep } from './decision-orders.ts';
import { intrabarStep } from './intrabar.ts';
import type { Step } from './steps.ts';
import type { CycleInput, CycleLike, Strategy } from './strategy.ts';

/** What the loop runs on. */
export interface LoopOptions<R extends CycleLike> {
  readonly runId: string;
  readonly ledger: Ledger;
  /** Restored from the ledger when resuming. */
  readonly broker: PaperBroker;
  readonly strategy: Strategy<R>;
  readonly steps: Iterable<Step> | AsyncIterable<Step>;
  /**
   * Time of the last committed step when resuming: earlier steps are replayed to `strategy.warm` with the
   * portfolio they were shown, not traded. Undefined for a fresh run.
   */
  readonly resumeAfter?: number | undefined;
  /**
   * Steps at or before this time that were never traded (history fetched to warm the indicators before a
   * live run started) are replayed to `strategy.warm` with `initialView`, not traded.
   */
  readonly warmUntil?: number | undefined;
  /** The account before any trade, shown to warm-up steps that have no stored portfolio. */
  readonly initialView?: PortfolioSnapshot | undefined;
  /** Position changes smaller than this fraction of equity are not traded. */
  readonly minTradeFraction: number;
  /**
   * The leverage cap across symbols (`agents.risk.maxExposure`): a step's targets adding up to more are
   * scaled down together (see `scaleStep`). Absent: no cap beyond the broker's.
   */
  readonly maxExposure?: number | undefined;
  /** Stops the loop after the step in progress has been committed. */
  readonly signal?: AbortSignal;
  /**
   * Operator control, consulted at every traded step's boundary: it may hold or override a symbol's
   * decision, park it for approval, and commits its own changes with the step.
   */
  readonly control?: LoopControl | undefined;
  /**
   * The news a cycle on `symbol`'s bar stamped `time` may read (newest first); it must return nothing
   * stamped after `time`. Asked for warm-up and traded cycles alike. Absent: cycles get no news.
   */
  readonly news?: ((symbol: string, time: number) => readonly string[]) | undefined;
  /** Called after every step (warm or committed), and after each intrabar wake. */
  readonly onStep?: (info: StepInfo<R>) => void;
  /** Unscheduled cycles per symbol and bar at most, on `intrabar` steps (`run.intrabar`). Default 1. */
  readonly maxWakesPerBar?: number | undefined;
  /** False: cycle records are not written to the ledger (a throwaway account nobody audits). Default true. */
  readonly storeCycles?: boolean | undefined;
}

/** Progress of the loop, after one step. */
export interface StepInfo<R extends CycleLike> {
  readonly time: number;
  /** True while replaying steps committed before a resume. */
  readonly warm: boolean;
  /** The cycle records of this step (empty when warm). */
  readonly records: readonly R[];
  /** The same, as stored: with the portfolio each cycle was shown. */
  readonly cycles: readonly StoredCycle[];
  readonly equity: number;
  /** Set after an unscheduled cycle on a bar still forming (see `intrabarStep`). */
  readonly intrabar?: true | undefined;
}

/** How far the loop got. */
export interface LoopResult {
  /** Steps traded and committed in this call. */
  readonly committed: number;
  /** Steps replayed to warm the strategy after a resume. */
  readonly warmed: number;
  readonly lastTime: number | undefined;
  /** True when `signal` stopped the loop before the steps ran out. */
  readonly aborted: boolean;
}

/**
 * The paper-trading loop. For each step (bar time): the broker fills orders placed on earlier bars (at
 * this bar's open), marks to the close, the strategy runs one cycle per symbol on the closed bar, its
 * decisions become orders for the next bar; then fills, orders, positions, cash, equity, cycle records,
 * operator control's changes and what the strategy learned (`Strategy.commit`) are committed in one
 * transaction. Nothing a step decides can trade before the next bar, and a process
 * killed mid-step leaves the ledger at the previous step.
 */
// Long: one step's phases (warm-up, control, fills, cycles, orders, commit) read as one sequence; this
// change touched one line of it (storeCycles), so it is left whole.
export async function runTradingLoop<R extends CycleLike>(o: LoopOptions<R>): Promise<LoopResult> {
  const shown =
    o.resumeAfter === undefined ? new Map<string, unknown>() : portfolioIndex(o.ledger.cycles(o.runId));
  let committed = 0;
  let warmed = 0;
  let lastTime = o.resumeAfter;
  const wakes = new Map<string, number>();
  for await (const step of o.steps) {
    if (o.signal?.aborted) return { committed, warmed, lastTime, aborted: true };
    const warmEnd = Math.max(
      o.resumeAfter ?? Number.NEGATIVE_INFINITY,
      o.warmUntil ?? Number.NEGATIVE_INFINITY,
    );
    if (step.intrabar) {
      if (step.time > warmEnd && step.time > (lastTime ?? Number.NEGATIVE_INFINITY))
        for (const info of await intrabarStep(o, step, wakes)) o.onStep?.(info);
      continue;
    }
    if (step.time <= warmEnd) {
      for (const { symbol, bar } of step.bars) {
        const portfolio =
          (shown.get(`${symbol}@${bar.time}`) as PortfolioSnapshot | undefined) ?? o.initialView;
        if (portfolio) await o.strategy.warm?.(inputOf(o, symbol, bar, portfolio));
      }
      warmed++;
      o.onStep?.({ time: step.time, warm: true, records: [], cycles: [], equity: o.broker.equity() });
      continue;
    }

    const gate = o.control?.begin(step.time, o.broker);
    const fills = step.bars.flatMap(({ symbol, bar }) => o.broker.onBar(symbol, bar));
    const records: R[] = [];
    const cycles: StoredCycle[] = [];
    // Placing orders changes neither cash nor positions, so every symbol of a step sees the same account.
    const portfolio = o.broker.view();
    // An account with nothing left takes no decision.
    const asked = portfolio.equity > 0 ? step.bars : [];
    const agents: { symbol: string; bar: Bar }[] = [];
    for (const { symbol, bar } of asked) {
      const route = gate?.route(symbol, bar) ?? { kind: 'agents' };
      if (route.kind === 'agents') {
        agents.push({ symbol, bar });
        continue;
      }
      await o.strategy.warm?.(inputOf(o, symbol, bar, portfolio));
      if (route.kind === 'operator')
        placeDecisionOrders(o.broker, o.runId, symbol, bar, route.decision, o.minTradeFraction);
    }
    const inputs = agents.map(({ symbol, bar }) => inputOf(o, symbol, bar, portfolio));
    const decided =
      inputs.length > 1 && o.strategy.cycleMany !== undefined
        ? await o.strategy.cycleMany(inputs)
        : await cycleEach(o.strategy, inputs);
    const reviewed = decided.map((record, i) => {
      const { symbol, bar } = agents[i]!;
      records.push(record);
      cycles.push({ symbol, time: bar.time, mode: record.mode, record, portfolio });
      return gate === undefined ? record.decision : gate.review(symbol, bar, record.decision);
    });
    const acting = reviewed.filter((d): d is NonNullable<typeof d> => d !== null);
    const scaled =
      o.maxExposure === undefined
        ? acting
        : scaleStep(acting, otherGross(portfolio, new Set(acting.map((d) => d.symbol))), o.maxExposure);
    for (const decision of scaled) {
      const { bar } = agents.find((a) => a.symbol === decision.symbol)!;
      placeDecisionOrders(o.broker, o.runId, decision.symbol, bar, decision, o.minTradeFraction);
    }
    const equity = o.broker.equity();
    const write = () =>
      o.ledger.commitStep(
        o.runId,
        {
          time: step.time,
          fills,
          orders: o.broker.drainChangedOrders(),
          state: o.broker.state(),
          equity,
          cycles: o.storeCycles === false ? [] : cycles,
        },
        o.strategy.commit === undefined ? undefined : () => o.strategy.commit!(step.time),
      );
    if (gate === undefined) write();
    else gate.commit(write);
    committed++;
    lastTime = step.time;
    wakes.clear(); // the bars woken on so far have closed
    o.onStep?.({ time: step.time, warm: false, records, cycles, equity });
  }
  // The steps may end because the same signal stopped their source (a live feed): that is a stop too.
  return { committed, warmed, lastTime, aborted: o.signal?.aborted === true };
}

/** A cycle's input, with the news of its bar when the loop has a news source and the bar has any. */
function inputOf<R extends CycleLike>(
  o: LoopOptions<R>,
  symbol: string,
  bar: Bar,
  portfolio: PortfolioSnapshot,
): CycleInput {
  const news = o.news?.(symbol, bar.time);
  return news === undefined || news.length === 0
    ? { symbol, bar, portfolio }
    : { symbol, bar, portfolio, news };
}

async function cycleEach<R extends CycleLike>(
  strategy: Strategy<R>,
  inputs: readonly CycleInput[],
): Promise<R[]> {
  const out: R[] = [];
  for (const input of inputs) out.push(await strategy.cycle(input));
  return out;
}

function portfolioIndex(cycles: readonly StoredCycle[]): Map<string, unknown> {
  return new Map(cycles.map((c) => [`${c.symbol}@${c.time}`, c.portfolio]));
}

/** Gross exposure (fraction of equity) of the positions in symbols other than `except`. */
export function otherGross(p: PortfolioSnapshot, except: ReadonlySet<string>): number {
  if (!(p.equity > 0)) return 0;
  let gross = 0;
  for (const [symbol, pos] of Object.entries(p.positions)) {
    if (except.has(symbol)) continue;
    const mark = (pos as { markPrice?: number }).markPrice ?? pos.avgPrice;
    gross += Math.abs(pos.qty * mark);
  }
  return gross / p.equity;
}
