import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExecutionMode, type ModeSignals, selectMode } from '../src/index.ts';

const calm: ModeSignals = {
  changedFeatures: [],
  stakes: 0,
  fragility: 0.1,
  confidence: 0.8,
  budget: { exhausted: false, remainingFraction: 1 },
  sunCoolingDown: false,
};

describe('selectMode', () => {
  it('stays in MONITOR_ONLY when nothing material changed', () => {
    expect(selectMode(calm)).toEqual({ mode: ExecutionMode.MONITOR_ONLY, reason: 'no material change' });
  });

  it('consults planets on a material change with ordinary stakes', () => {
    const d = selectMode({ ...calm, changedFeatures: ['rsi'] });
    expect(d.mode).toBe(ExecutionMode.LIGHT_REASONING);
    expect(d.reason).toContain('rsi');
  });

  it('wakes the sun for high stakes, fragility, a critical update or low confidence on broad change', () => {
    expect(selectMode({ ...calm, changedFeatures: ['price'], stakes: 0.2 }).mode).toBe(
      ExecutionMode.FULL_AGENT,
    );
    expect(selectMode({ ...calm, changedFeatures: ['price'], fragility: 0.9 }).mode).toBe(
      ExecutionMode.FULL_AGENT,
    );
    expect(selectMode({ ...calm, criticalUpdate: true }).mode).toBe(ExecutionMode.FULL_AGENT);
    expect(selectMode({ ...calm, changedFeatures: ['a', 'b', 'c'], confidence: 0.1 }).mode).toBe(
      ExecutionMode.FULL_AGENT,
    );
    expect(selectMode({ ...calm, changedFeatures: ['a'], confidence: 0.1 }).mode).toBe(
      ExecutionMode.LIGHT_REASONING,
    );
  });

  it('never picks FULL_AGENT when the budget is exhausted or the sun is cooling down (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          changedFeatures: fc.array(fc.constantFrom('price', 'rsi', 'vol', 'macd')),
          criticalUpdate: fc.boolean(),
          stakes: fc.double({ min: 0, max: 1, noNaN: true }),
          fragility: fc.double({ min: 0, max: 1, noNaN: true }),
          confidence: fc.double({ min: 0, max: 1, noNaN: true }),
          exhausted: fc.boolean(),
          remainingFraction: fc.double({ min: 0, max: 1, noNaN: true }),
          sunCoolingDown: fc.boolean(),
        }),
        (s) => {
          const d = selectMode({
            ...s,
            budget: { exhausted: s.exhausted, remainingFraction: s.remainingFraction },
          });
          if (s.exhausted || s.sunCoolingDown) expect(d.mode).not.toBe(ExecutionMode.FULL_AGENT);
          if (!s.criticalUpdate && s.changedFeatures.length === 0)
            expect(d.mode).toBe(ExecutionMode.MONITOR_ONLY);
          expect(d.reason.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('keeps a short budget for critical updates only', () => {
    const short = { ...calm, budget: { exhausted: false, remainingFraction: 0.05 } };
    expect(selectMode({ ...short, changedFeatures: ['price'], stakes: 0.5 }).mode).toBe(
      ExecutionMode.LIGHT_REASONING,
    );
    expect(selectMode({ ...short, criticalUpdate: true }).mode).toBe(ExecutionMode.FULL_AGENT);
  });
});
