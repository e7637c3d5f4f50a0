import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClampContext, clampDecision, type Decision, parseSolarSystemConfig } from '../src/index.ts';

// The stop rules are opt-in (`risk.stops`); these tests are about them.
const risk = parseSolarSystemConfig({ risk: { stops: true, maxPositionFraction: 0.2 } }).risk;
const ctx = (over: Partial<ClampContext> = {}): ClampContext => ({
  price: 100,
  atr: 2,
  current: 0,
  otherExposure: 0,
  unrealised: 0,
  stopBreached: false,
  risk,
  ...over,
});
const buy = (targetFraction: number, extra: Partial<Decision> = {}): Decision => ({
  symbol: 'X',
  action: 'buy',
  targetFraction,
  confidence: 0.9,
  rationale: 'test',
  source: 'sun',
  ...extra,
});

describe('risk clamp', () => {
  it('10x the max position comes back at the max position (the ATR stop keeps the loss within limits)', () => {
    const { decision, clamps } = clampDecision(buy(10 * risk.maxPositionFraction), ctx());
    expect(decision.targetFraction).toBeCloseTo(risk.maxPositionFraction, 12);
    expect(clamps[0]).toMatch(/max position/);
    expect(decision.stopPrice).toBeCloseTo(100 - risk.stopAtrMultiple * 2, 12);
    expect(decision.action).toBe('buy');
  });

  it('a wide stop shrinks the position so the loss at the stop stays within maxLossFraction', () => {
    const { decision } = clampDecision(buy(0.2, { stopPrice: 80 }), ctx());
    expect(decision.targetFraction).toBeCloseTo(risk.maxLossFraction / 0.2, 12);
  });

  it('long-only, exposure, breached stop and loss limit', () => {
    expect(clampDecision(buy(-0.1, { action: 'sell' }), ctx()).decision.targetFraction).toBe(0);
    expect(clampDecision(buy(0.2), ctx({ otherExposure: 0.95 })).decision.targetFraction).toBeCloseTo(
      0.05,
      12,
    );
    const stopped = clampDecision(
      buy(0.1, { action: 'hold' }),
      ctx({ current: 0.1, stopBreached: true }),
    ).decision;
    expect(stopped.action).toBe('flatten');
    expect(stopped.targetFraction).toBe(0);
    expect(stopped.stopPrice).toBeUndefined();
    const bleeding = clampDecision(
      buy(0.1, { action: 'hold' }),
      ctx({ current: 0.1, unrealised: -0.03 }),
    ).decision;
    expect(bleeding.action).toBe('flatten');
  });

  it('without any stop distance a position may only shrink', () => {
    expect(clampDecision(buy(0.1), ctx({ atr: null })).decision.action).toBe('hold');
    expect(clampDecision(buy(0.05), ctx({ atr: null, current: 0.1 })).decision.targetFraction).toBe(0.05);
  });

  it('whatever the decision says, the result respects every limit', () => {
    fc.assert(
      fc.property(
        fc.double({ noNaN: false }),
        fc.option(fc.double({ min: -1000, max: 1000, noNaN: true })),
        fc.double({ min: -0.3, max: 0.3, noNaN: true }),
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.boolean(),
        (target, stop, current, other, allowShort) => {
          const r = { ...risk, allowShort };
          const out = clampDecision(
            buy(target, stop === null ? {} : { stopPrice: stop }),
            ctx({ current, otherExposure: other, risk: r }),
          ).decision;
          const t = out.targetFraction;
          expect(Number.isFinite(t)).toBe(true);
          const grows = Math.abs(t) > Math.abs(current) + 1e-12 || Math.sign(t) * Math.sign(current) < 0;
          if (grows) {
            expect(Math.abs(t)).toBeLessThanOrEqual(r.maxPositionFraction + 1e-12);
            expect(Math.abs(t)).toBeLessThanOrEqual(Math.max(0, r.maxExposure - other) + 1e-12);
            if (!allowShort) expect(t).toBeGreaterThanOrEqual(0);
            expect(out.stopPrice).toBeDefined();
            const loss = (Math.abs(t) * Math.abs(100 - (out.stopPrice as number))) / 100;
            expect(loss).toBeLessThanOrEqual(r.maxLossFraction + 1e-12);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
