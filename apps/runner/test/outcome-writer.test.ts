import { ManualClock } from '@orrery/core';
import { EpisodicMemory } from '@orrery/memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutcomeWriter } from '../src/session/outcome-writer.ts';

const DAY = 86_400_000;

describe('outcome write-back', () => {
  let memory: EpisodicMemory;
  beforeEach(async () => {
    memory = await EpisodicMemory.open({
      dbPath: ':memory:',
      chroma: { mode: 'off' },
      clock: new ManualClock(0),
    });
  });
  afterEach(async () => {
    await memory.close();
  });

  const episode = (time: number, decision: string) =>
    memory.record({
      id: `SPY@${time}`,
      time,
      symbol: 'SPY',
      situation: { vector: [1, 2] },
      regime: 'trend_up',
      mode: 'LIGHT_REASONING',
      decision,
      confidence: 0.6,
      horizonMs: 2 * DAY,
    });
  const cycle = (time: number, target: number, qty: number, equity: number) => ({
    symbol: 'SPY',
    time,
    mode: 'LIGHT_REASONING',
    record: { decision: { targetFraction: target } },
    portfolio: { equity, cash: equity, positions: qty === 0 ? {} : { SPY: { qty, avgPrice: 100 } } },
  });

  it('writes return and alpha in market time once the horizon has passed, for this run only', async () => {
    await episode(0, 'buy');
    await episode(DAY, 'hold');
    await memory.record({
      id: 'other-run',
      time: 0,
      symbol: 'SPY',
      situation: { vector: [1, 2] },
      regime: 'range',
      mode: 'LIGHT_REASONING',
      decision: 'buy',
      confidence: 0.5,
      horizonMs: DAY,
    });
    const w = new OutcomeWriter(memory);
    w.observe(cycle(0, 0.5, 0, 1000), 100); // from flat to half in: a buy
    expect(w.flush(0)).toBe(0);
    w.observe(cycle(DAY, 0.5, 5, 1000), 105); // held 5 × 105 = 0.525 of equity
    expect(w.flush(DAY)).toBe(0); // nothing due yet (other-run is due but not ours)
    w.observe(cycle(2 * DAY, 0.5, 5, 1020), 110);
    expect(w.flush(2 * DAY)).toBe(1);
    const [first] = memory.pendingOutcomes(10 * DAY).filter((e) => e.id === 'SPY@0');
    expect(first).toBeUndefined();
    w.observe(cycle(3 * DAY, 0.5, 5, 1040), 99);
    expect(w.flush(3 * DAY)).toBe(1);
    const byId = Object.fromEntries(memory.shortTerm.recent(10).map((e) => [e.id, e.outcome]));
    // Bought at 100, worth 110 two days later: half the equity made 10 %.
    expect(byId['SPY@0']).toMatchObject({ type: 'realised', horizonMs: 2 * DAY });
    expect((byId['SPY@0'] as { return: number }).return).toBeCloseTo(0.5 * 0.1, 12);
    expect((byId['SPY@0'] as { alpha: number }).alpha).toBeCloseTo(0.5 * 0.1, 12);
    // Held about the same size (0.525 → 0.5) from 105 to 99: the decision added little.
    const hold = byId['SPY@86400000'] as { return: number; alpha: number };
    expect(hold.return).toBeCloseTo(0.5 * (99 / 105 - 1), 12);
    expect(hold.alpha).toBeCloseTo((0.5 - 0.525) * (99 / 105 - 1), 12);
    expect(byId['other-run']).toMatchObject({ type: 'pending' });
  });
});
