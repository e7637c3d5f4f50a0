import { type BrokerSettings, Ledger, PaperBroker } from '@orrery/broker';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { mergeSeries } from '../src/loop/steps.ts';
import type { CycleInput, CycleLike } from '../src/loop/strategy.ts';
import { runTradingLoop, type StepInfo } from '../src/loop/trading-loop.ts';

const SETTINGS: BrokerSettings = {
  initialCash: 100_000,
  feeBps: 10,
  slippageBps: 5,
  slippageRangeFraction: 0,
  allowShort: false,
  maxLeverage: 1,
  lotSize: 0,
};
const DAY = 86_400_000;
const BARS = Array.from({ length: 40 }, (_, i) => {
  const c = 100 + 10 * Math.sin(i / 3);
  return { time: (i + 1) * DAY, open: c, high: c * 1.01, low: c * 0.99, close: c, volume: 1000 };
});
/** Buys half the account on bar 5, holds, sells everything on bar 25: two trades, many idle bars. */
const strategy = {
  cycle: async (i: CycleInput): Promise<CycleLike> => {
    const n = i.bar.time / DAY;
    return {
      symbol: i.symbol,
      time: i.bar.time,
      mode: 'MONITOR_ONLY',
      decision: {
        symbol: i.symbol,
        action: n === 25 ? 'flatten' : n >= 5 ? 'buy' : 'hold',
        targetFraction: n >= 5 && n < 25 ? 0.5 : 0,
        confidence: 1,
        rationale: `bar ${n}`,
        source: 'test',
      },
      calls: 0,
      tokensIn: 0,
      tokensOut: 0,
      costUsd: 0,
    };
  },
  stop: () => undefined,
};

async function run(storeCycles: boolean | undefined) {
  const ledger = Ledger.open(':memory:');
  ledger.createRun('r', SETTINGS, {}, 0);
  const broker = new PaperBroker(SETTINGS);
  const infos: StepInfo<CycleLike>[] = [];
  await runTradingLoop({
    runId: 'r',
    ledger,
    broker,
    strategy,
    steps: mergeSeries([{ symbol: 'SPY', bars: BARS }]),
    minTradeFraction: 0.01,
    storeCycles,
    onStep: (info) => infos.push(info),
  });
  return { ledger, broker, infos };
}

describe('what the loop writes per step', () => {
  it('storeCycles: false writes no cycle record, and the account, its equity and fills are the same', async () => {
    const kept = await run(undefined);
    const dropped = await run(false);
    expect(kept.ledger.cycles('r')).toHaveLength(BARS.length);
    expect(dropped.ledger.cycles('r')).toHaveLength(0);
    expect(dropped.ledger.equityCurve('r')).toEqual(kept.ledger.equityCurve('r'));
    expect(dropped.ledger.fills('r')).toEqual(kept.ledger.fills('r'));
    expect(kept.ledger.fills('r').length).toBeGreaterThanOrEqual(2);
    // whoever watches the loop still sees every step's records
    expect(dropped.infos.map((i) => i.cycles.length)).toEqual(kept.infos.map((i) => i.cycles.length));
    kept.ledger.close();
    dropped.ledger.close();
  });

  it('positions are rewritten only on the bars they change, and always read back as the account holds them', async () => {
    const probe = new Database(':memory:');
    const proto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as { run: (...a: unknown[]) => unknown };
    probe.close();
    const original = proto.run;
    const deletes: number[] = [];
    let bar = 0;
    proto.run = function (this: { source: string }, ...args: unknown[]) {
      if (this.source.startsWith('DELETE FROM positions')) deletes.push(bar);
      return original.apply(this, args);
    };
    try {
      const ledger = Ledger.open(':memory:');
      ledger.createRun('r', SETTINGS, {}, 0);
      const broker = new PaperBroker(SETTINGS);
      await runTradingLoop({
        runId: 'r',
        ledger,
        broker,
        strategy,
        steps: mergeSeries([{ symbol: 'SPY', bars: BARS }]),
        minTradeFraction: 0.01,
        onStep: (info) => {
          bar = info.time / DAY + 1;
          expect(ledger.loadState('r').positions).toEqual(broker.positions());
        },
      });
      const fillBars = new Set(ledger.fills('r').map((f) => f.time / DAY));
      // the first step writes the book; after that only a step with a fill changes it
      expect(deletes[0]).toBe(0);
      for (const b of deletes.slice(1)) expect(fillBars.has(b)).toBe(true);
      expect(deletes.length).toBeLessThan(BARS.length / 2);
      ledger.close();
    } finally {
      proto.run = original;
    }
  });
});
