import type { BrokerSettings } from '@orrery/broker';
import { Ledger, PaperBroker } from '@orrery/broker';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scaleStep } from '../src/loop/decision-orders.ts';
import { mergeSeries } from '../src/loop/steps.ts';
import type { CycleInput, CycleLike, DecisionLike } from '../src/loop/strategy.ts';
import { runTradingLoop } from '../src/loop/trading-loop.ts';

const SETTINGS: BrokerSettings = {
  initialCash: 100_000,
  feeBps: 0,
  slippageBps: 0,
  slippageRangeFraction: 0,
  allowShort: true,
  maxLeverage: 3,
  lotSize: 0,
};
const DAY = 86_400_000;
const series = (symbol: string, drift: number) => ({
  symbol,
  bars: Array.from({ length: 60 }, (_, i) => {
    const c = 100 * (1 + drift) ** i;
    return { time: i * DAY, open: c, high: c * 1.01, low: c * 0.99, close: c, volume: 1000 };
  }),
});

describe('portfolio limits hold across symbols', () => {
  it('scaleStep: the gross of a step never exceeds the cap, signs and proportions kept', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 1.5, noNaN: true }),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        (targets, other, cap) => {
          const ds: DecisionLike[] = targets.map((t, i) => ({
            symbol: `S${i}`,
            action: 'hold',
            targetFraction: t,
            confidence: 1,
            rationale: '',
            source: 'test',
          }));
          const out = scaleStep(ds, other, cap);
          const gross = out.reduce((a, d) => a + Math.abs(d.targetFraction), 0) + other;
          if (gross > cap + 1e-9)
            expect(out.every((d) => d.targetFraction === 0)).toBe(true); // others alone exceed it
          else expect(gross).toBeLessThanOrEqual(Math.max(cap, other) + 1e-9);
          out.forEach((d, i) => {
            expect(Math.sign(d.targetFraction) * Math.sign(targets[i]!)).not.toBe(-1);
            expect(Math.abs(d.targetFraction)).toBeLessThanOrEqual(Math.abs(targets[i]!) + 1e-12);
          });
        },
      ),
    );
  });

  it('in the trading loop, three symbols asking for 0.8 each hold 1.0 of equity in all', async () => {
    const ledger = Ledger.open(':memory:');
    ledger.createRun('p', SETTINGS, {}, 0);
    const strategy = {
      cycle: async (i: CycleInput): Promise<CycleLike> => ({
        symbol: i.symbol,
        time: i.bar.time,
        mode: 'MONITOR_ONLY',
        decision: {
          symbol: i.symbol,
          action: 'buy',
          targetFraction: 0.8,
          confidence: 1,
          rationale: 'want',
          source: 'test',
        },
        calls: 0,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: 0,
      }),
      stop: () => undefined,
    };
    const broker = new PaperBroker(SETTINGS);
    await runTradingLoop({
      runId: 'p',
      ledger,
      broker,
      strategy,
      steps: mergeSeries([series('A', 0.001), series('B', -0.001), series('C', 0.002)]),
      minTradeFraction: 0.01,
      maxExposure: 1,
    });
    const view = broker.view();
    const marks = { A: broker.mark('A')!, B: broker.mark('B')!, C: broker.mark('C')! };
    const gross = Object.entries(view.positions).reduce(
      (a, [s, p]) => a + Math.abs(p.qty * marks[s as 'A']),
      0,
    );
    expect(gross / view.equity).toBeGreaterThan(0.9);
    expect(gross / view.equity).toBeLessThanOrEqual(1.02); // one bar of drift since the last rebalance
    ledger.close();
  });
});
