import { join } from 'node:path';
import type { BrokerSettings } from '@orrery/broker';
import { Ledger } from '@orrery/broker';
import type { Bar } from '@orrery/feeds';
import { freePort, tempDir } from '@orrery/testkit';
import { describe, expect, it } from 'vitest';
import {
  decisionsDiffer,
  llmInfluenced,
  llmRoi,
  type RoiCycle,
  roiRows,
} from '../src/accountability/llm-roi.ts';
import { tradeShadow } from '../src/accountability/shadow-portfolio.ts';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { mergeSeries } from '../src/loop/steps.ts';
import type { CycleLike, DecisionLike, Strategy } from '../src/loop/strategy.ts';
import { runPaper } from '../src/session/paper-run.ts';

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
      ['LLM-influenced', "2 of 3 (1 changed the consensus's decision)"],
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
  /** A strategy that takes `decide(i)` on the i-th cycle. */
  const scripted = (decide: (i: number, symbol: string) => DecisionLike): Strategy<CycleLike> => {
    let i = 0;
    return {
      cycle: async ({ symbol, bar: b }) => ({
        symbol,
        time: b.time,
        mode: 'LIGHT_REASONING',
        decision: decide(i++, symbol),
        calls: 0,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: 0,
      }),
      stop: () => undefined,
    };
  };

  it('trades in its own account through the same loop: a constructed case worked by hand', async () => {
    const bars = [bar(1, 100, 100), bar(2, 102, 105), bar(3, 105, 110)];
    const steps = mergeSeries([{ symbol: 'SPY', bars }]);
    const sunBuy: DecisionLike = { ...hold(), action: 'buy', targetFraction: 0.5, source: 'sun' };
    const actual = await tradeShadow({
      steps,
      settings: FRICTIONLESS,
      minTradeFraction: 0.01,
      strategy: scripted((i) => (i === 0 ? sunBuy : hold())),
    });
    // 0.5 × 10,000 / 100 = 50 shares, filled at the next open (102): cash 4,900; marked at 105, then 110.
    expect(actual.equity.map((p) => p.equity)).toEqual([10_000, 10_150, 10_400]);
    expect(actual.fills).toMatchObject([{ side: 'buy', qty: 50, price: 102, time: 2 }]);
    const counterfactual = await tradeShadow({
      steps,
      settings: FRICTIONLESS,
      minTradeFraction: 0.01,
      strategy: scripted(() => hold()),
    });
    expect(counterfactual.equity.map((p) => p.equity)).toEqual([10_000, 10_000, 10_000]);
    const roi = llmRoi({
      initialCash: 10_000,
      actualEquity: actual.equity.at(-1)!.equity,
      counterfactualEquity: counterfactual.equity.at(-1)!.equity,
      cycles: [
        cycle({ mode: 'FULL_AGENT', decision: sunBuy, calls: 2, costUsd: 0.02 }),
        cycle({ mode: 'MONITOR_ONLY' }),
        cycle({ mode: 'MONITOR_ONLY' }),
      ],
    });
    expect(roi).toMatchObject({ llmPnl: 400, llmCostUsd: 0.02, pnlPerLlmDollar: 20_000, diverged: 1 });
  });

  it('without any LLM the run is its own counterfactual: the LLM made exactly 0', async () => {
    const dir = tempDir('orrery-roi-');
    try {
      const loaded = parseConfig(
        {
          memory: false,
          gateway: { routing: { localBaseUrl: `http://127.0.0.1:${await freePort()}/v1` } },
          run: {
            ledgerPath: join(dir.path, 'l.db'),
            gatewayDbPath: join(dir.path, 'g.db'),
            reportPath: join(dir.path, 'r.html'),
          },
        },
        { source: 'test', baseDir: dir.path, env: {} },
      );
      const io: CliIO = {
        out: () => undefined,
        err: () => undefined,
        env: {},
        cwd: dir.path,
        isTTY: false,
        signal: new AbortController().signal,
      };
      const res = await runPaper(
        {
          loaded,
          data: { source: 'spy' },
          from: '2004-01-01',
          to: '2007-12-31',
          runId: 'plain',
          progress: false,
        },
        io,
      );
      const ledger = Ledger.open(join(dir.path, 'l.db'));
      try {
        expect(ledger.fills('plain').length).toBeGreaterThan(0);
        expect(res.roi?.counterfactual).toEqual(
          ledger.equityCurve('plain').map(({ time, equity }) => ({ time, equity })),
        );
      } finally {
        ledger.close();
      }
      expect(res.roi?.roi).toMatchObject({
        llmPnl: 0,
        llmCostUsd: 0,
        pnlPerLlmDollar: null,
        llmInfluenced: 0,
        diverged: 0,
      });
    } finally {
      dir.remove();
    }
  }, 120_000);
});
