import { describe, expect, it } from 'vitest';
import {
  decisionsDiffer,
  llmInfluenced,
  llmRoi,
  type RoiCycle,
  roiRows,
} from '../src/accountability/llm-roi.ts';
import { readRunRoi } from '../src/accountability/run-roi.ts';
import { simulateDecisions } from '../src/accountability/shadow-portfolio.ts';
import { Ledger } from '../src/broker/ledger-db.ts';
import { PaperBroker } from '../src/broker/paper-broker.ts';
import type { BrokerSettings } from '../src/broker/types.ts';
import type { Bar } from '../src/feeds/bar.ts';
import { BUNDLED_DATASETS } from '../src/feeds/bundled.ts';
import { loadCsvFile } from '../src/feeds/csv-loader.ts';
import { mergeSeries } from '../src/loop/steps.ts';
import type { CycleLike, DecisionLike, Strategy } from '../src/loop/strategy.ts';
import { runTradingLoop } from '../src/loop/trading-loop.ts';

const hold = (symbol = 'SPY'): DecisionLike => ({
  symbol,
  action: 'hold',
  targetFraction: 0,
  confidence: 1,
  rationale: 'nothing to do',
  source: 'consensus',
});

const cycle = (over: Partial<RoiCycle> = {}): RoiCycle => ({
  mode: 'LIGHT_REASONING',
  decision: hold(),
  consensusDecision: hold(),
  calls: 0,
  costUsd: 0,
  planets: [],
  ...over,
});

const FRICTIONLESS: BrokerSettings = {
  initialCash: 10_000,
  feeBps: 0,
  slippageBps: 0,
  slippageRangeFraction: 0,
  allowShort: false,
  maxLeverage: 1,
  lotSize: 0,
};

const bar = (time: number, open: number, close: number): Bar => ({
  time,
  open,
  high: Math.max(open, close) + 1,
  low: Math.min(open, close) - 1,
  close,
  volume: 1000,
});

describe('LLM ROI arithmetic', () => {
  it('attributes the difference to the LLM and divides it by what the LLM cost', () => {
    const sunBuy: DecisionLike = { ...hold(), action: 'buy', targetFraction: 0.5, source: 'sun' };
    const roi = llmRoi({
      initialCash: 10_000,
      actualEquity: 10_500,
      counterfactualEquity: 10_200,
      cycles: [
        cycle({ mode: 'FULL_AGENT', decision: sunBuy, calls: 3, costUsd: 0.5 }),
        cycle({ calls: 1, costUsd: 0.25, planets: [{ source: 'llm' }, { source: 'deterministic' }] }),
        cycle({ mode: 'MONITOR_ONLY' }),
      ],
    });
    expect(roi).toEqual({
      actualPnl: 500,
      counterfactualPnl: 200,
      llmPnl: 300,
      llmCostUsd: 0.75,
      pnlPerLlmDollar: 400,
      decisions: 3,
      llmInfluenced: 2,
      diverged: 1,
    });
    expect(roiRows(roi)).toEqual([
      ['LLM P&L vs consensus', '+300.00 (run +500.00, no-LLM consensus +200.00)'],
      ['LLM-influenced decisions', '2 of 3 (1 differ from consensus)'],
      ['LLM cost', '$0.7500'],
      ['P&L per LLM dollar', '400.00'],
    ]);
  });

  it('says n/a per dollar when nothing was spent, and counts losses as negative', () => {
    const roi = llmRoi({
      initialCash: 1000,
      actualEquity: 900,
      counterfactualEquity: 950,
      cycles: [cycle()],
    });
    expect(roi).toMatchObject({ llmPnl: -50, llmCostUsd: 0, pnlPerLlmDollar: null, llmInfluenced: 0 });
    expect(roiRows(roi).at(-1)).toEqual(['P&L per LLM dollar', 'n/a (no LLM cost)']);
  });

  it('compares decisions by what they would trade', () => {
    const buy: DecisionLike = { ...hold(), action: 'buy', targetFraction: 0.2 };
    expect(decisionsDiffer(hold(), { ...hold(), targetFraction: 0.3, rationale: 'other' })).toBe(false);
    expect(decisionsDiffer(buy, { ...buy, targetFraction: 0.25 })).toBe(true);
    expect(decisionsDiffer(buy, { ...buy, stopPrice: 90 })).toBe(true);
    expect(decisionsDiffer(buy, hold())).toBe(true);
    expect(llmInfluenced(cycle({ mode: 'MONITOR_ONLY', planets: [{ source: 'llm' }] }))).toBe(false);
    expect(llmInfluenced(cycle({ decision: { ...buy, source: 'backup-sun' } }))).toBe(true);
  });
});

describe('the no-LLM counterfactual', () => {
  it('trades the consensus through the same broker: a constructed case worked by hand', () => {
    const bars = [bar(1, 100, 100), bar(2, 102, 105), bar(3, 105, 110)];
    const steps = mergeSeries([{ symbol: 'SPY', bars }]);
    const sunBuy: DecisionLike = { ...hold(), action: 'buy', targetFraction: 0.5, source: 'sun' };
    const cycles = bars.map((b, i) => ({
      symbol: 'SPY',
      time: b.time,
      mode: i === 0 ? 'FULL_AGENT' : 'MONITOR_ONLY',
      record: cycle({ decision: i === 0 ? sunBuy : hold(), costUsd: i === 0 ? 0.02 : 0 }),
      portfolio: {},
    }));
    const actual = simulateDecisions({
      steps,
      cycles,
      settings: FRICTIONLESS,
      minTradeFraction: 0.01,
      pick: (r) => (r as RoiCycle).decision,
    });
    // 0.5 × 10,000 / 100 = 50 shares, filled at the next open (102): cash 4,900; marked at 105, then 110.
    expect(actual.equity.map((p) => p.equity)).toEqual([10_000, 10_150, 10_400]);
    expect(actual.fills).toMatchObject([{ side: 'buy', qty: 50, price: 102, time: 2 }]);
    const counterfactual = simulateDecisions({
      steps,
      cycles,
      settings: FRICTIONLESS,
      minTradeFraction: 0.01,
      pick: (r) => (r as RoiCycle).consensusDecision,
    });
    expect(counterfactual.equity.map((p) => p.equity)).toEqual([10_000, 10_000, 10_000]);
    const roi = llmRoi({
      initialCash: 10_000,
      actualEquity: 10_400,
      counterfactualEquity: 10_000,
      cycles: cycles.map((c) => c.record),
    });
    expect(roi).toMatchObject({ llmPnl: 400, llmCostUsd: 0.02, pnlPerLlmDollar: 20_000, diverged: 1 });
  });

  it('re-trading a run’s own decisions reproduces its ledger exactly (same fills model, fees, slippage, stops)', async () => {
    const spy = loadCsvFile(BUNDLED_DATASETS.spy.path, BUNDLED_DATASETS.spy.load).bars.slice(0, 300);
    const btc = loadCsvFile(BUNDLED_DATASETS.btc.path, BUNDLED_DATASETS.btc.load).bars;
    const steps = mergeSeries([
      { symbol: 'SPY', bars: spy },
      { symbol: 'BTC', bars: btc.filter((b) => b.time >= spy[0]!.time && b.time <= spy.at(-1)!.time) },
    ]);
    const settings: BrokerSettings = {
      ...FRICTIONLESS,
      feeBps: 10,
      slippageBps: 5,
      slippageRangeFraction: 0.1,
    };
    let n = 0;
    // A busy, deterministic strategy: trades, holds, flattens and sets stops; the "consensus" differs.
    const strategy: Strategy<CycleLike & { consensusDecision: DecisionLike }> = {
      cycle: async ({ symbol, bar: b }) => {
        n++;
        const target = [0.3, 0.1, 0.45, 0, 0.2][n % 5]!;
        const action = n % 7 === 0 ? 'hold' : target === 0 ? 'flatten' : target > 0.2 ? 'buy' : 'sell';
        const decision: DecisionLike = {
          symbol,
          action,
          targetFraction: target,
          confidence: 0.6,
          rationale: `step ${n}`,
          source: n % 3 === 0 ? 'sun' : 'consensus',
          ...(n % 4 === 0 ? { stopPrice: b.close * 0.97 } : {}),
        };
        const consensusDecision: DecisionLike = {
          ...decision,
          targetFraction: target / 2,
          source: 'consensus',
        };
        return {
          symbol,
          time: b.time,
          mode: 'LIGHT_REASONING',
          decision,
          consensusDecision,
          calls: 1,
          tokensIn: 10,
          tokensOut: 5,
          costUsd: 0.001,
        };
      },
      stop: () => undefined,
    };
    const ledger = Ledger.open(':memory:');
    try {
      ledger.createRun('r', settings, {}, 0);
      await runTradingLoop({
        runId: 'r',
        ledger,
        broker: new PaperBroker(settings),
        strategy,
        steps,
        minTradeFraction: 0.01,
      });
      const again = simulateDecisions({
        steps,
        cycles: ledger.cycles('r'),
        settings,
        minTradeFraction: 0.01,
        pick: (r) => (r as RoiCycle).decision,
        runId: 'r',
      });
      expect(again.equity).toEqual(ledger.equityCurve('r').map(({ time, equity }) => ({ time, equity })));
      expect(again.fills).toEqual(ledger.fills('r'));

      const { roi, counterfactual } = readRunRoi({ ledger, runId: 'r', steps, minTradeFraction: 0.01 });
      const cf = simulateDecisions({
        steps,
        cycles: ledger.cycles('r'),
        settings,
        minTradeFraction: 0.01,
        pick: (r) => (r as RoiCycle).consensusDecision,
      });
      expect(counterfactual).toEqual(cf.equity);
      const end = ledger.equityCurve('r').at(-1)!.equity;
      expect(roi.actualPnl).toBeCloseTo(end - 10_000, 9);
      expect(roi.llmPnl).toBeCloseTo(end - cf.equity.at(-1)!.equity, 9);
      expect(roi.llmCostUsd).toBeCloseTo(0.001 * n, 12);
      expect(roi.pnlPerLlmDollar).toBeCloseTo(roi.llmPnl / roi.llmCostUsd, 6);
      expect(roi.diverged).toBeGreaterThan(0);
    } finally {
      ledger.close();
    }
  });
});
