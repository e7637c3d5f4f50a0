import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OutcomeGroup, renderPatterns, summarisePatterns } from '../src/index.ts';

const history: OutcomeGroup[] = [
  // trend_up/buy: 8 outcomes, 6 wins, mean return +1 %, mean alpha +0.5 %
  { regime: 'trend_up', decision: 'buy', count: 8, wins: 6, sumReturn: 0.08, sumAlpha: 0.04 },
  // range/buy: 6 outcomes, 1 win, mean return -0.5 %
  { regime: 'range', decision: 'buy', count: 6, wins: 1, sumReturn: -0.03, sumAlpha: -0.036 },
  // range/hold: 4 outcomes (below minSamples), all wins
  { regime: 'range', decision: 'hold', count: 4, wins: 4, sumReturn: 0.02, sumAlpha: 0 },
  // trend_down/sell: 5 outcomes, 3 wins, mean +0.2 % (win rate 0.6: a success mode)
  { regime: 'trend_down', decision: 'sell', count: 5, wins: 3, sumReturn: 0.01, sumAlpha: 0.005 },
];

describe('summarisePatterns', () => {
  const s = summarisePatterns(history);

  it('computes count, win rate and mean return per regime × decision', () => {
    expect(s.total).toBe(23);
    expect(s.groups.map((g) => `${g.regime}/${g.decision}`)).toEqual([
      'trend_up/buy',
      'range/buy',
      'trend_down/sell',
      'range/hold',
    ]);
    const tu = s.groups[0]!;
    expect(tu.count).toBe(8);
    expect(tu.winRate).toBeCloseTo(0.75);
    expect(tu.meanReturn).toBeCloseTo(0.01);
    expect(tu.meanAlpha).toBeCloseTo(0.005);
  });

  it('rolls up by regime and by decision', () => {
    const range = s.byRegime.find((r) => r.regime === 'range')!;
    expect(range.count).toBe(10);
    expect(range.winRate).toBeCloseTo(0.5);
    expect(range.meanReturn).toBeCloseTo(-0.001);
    const buy = s.byDecision.find((d) => d.decision === 'buy')!;
    expect(buy.count).toBe(14);
    expect(buy.winRate).toBeCloseTo(7 / 14);
  });

  it('names success and failure modes among pairs with enough samples', () => {
    expect(s.successModes.map((g) => `${g.regime}/${g.decision}`)).toEqual([
      'trend_up/buy',
      'trend_down/sell',
    ]);
    expect(s.failureModes.map((g) => `${g.regime}/${g.decision}`)).toEqual(['range/buy']);
    expect(summarisePatterns(history, { minSamples: 4 }).successModes[0]?.decision).toBe('buy');
    expect(summarisePatterns(history, { minSamples: 9 }).successModes).toEqual([]);
  });

  it('renders a compact text for the prompt', () => {
    expect(s.text).toContain('Memory: 23 realised outcomes');
    expect(s.text).toContain('Works: trend_up/buy n=8 win 75% ret +1.00% alpha +0.50%');
    expect(s.text).toContain('Fails: range/buy n=6 win 17% ret -0.50% alpha -0.60%');
    expect(summarisePatterns([]).text).toBe('Memory: no realised outcomes yet.');
  });

  it('never renders more than maxChars (property)', () => {
    const group = fc.record({
      regime: fc.string({ minLength: 1, maxLength: 64 }),
      decision: fc.string({ minLength: 1, maxLength: 64 }),
      count: fc.integer({ min: 1, max: 1000 }),
      wins: fc.nat(1000),
      sumReturn: fc.double({ min: -100, max: 100, noNaN: true }),
      sumAlpha: fc.double({ min: -100, max: 100, noNaN: true }),
    });
    fc.assert(
      fc.property(
        fc.array(group, { maxLength: 30 }),
        fc.integer({ min: 0, max: 2000 }),
        (groups, maxChars) => {
          const fixed = groups.map((g) => ({ ...g, wins: Math.min(g.wins, g.count) }));
          const summary = summarisePatterns(fixed, { minSamples: 1, maxChars });
          expect(summary.text.length).toBeLessThanOrEqual(maxChars);
          expect(renderPatterns(summary, maxChars).length).toBeLessThanOrEqual(maxChars);
        },
      ),
    );
  });
});
