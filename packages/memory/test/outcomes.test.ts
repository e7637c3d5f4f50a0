import { ManualClock } from '@orrery/core';
import { tempDir } from '@orrery/testkit';
import { describe, expect, it } from 'vitest';
import { EpisodeNotFoundError, EpisodicMemory, OutcomeAlreadyWrittenError } from '../src/index.ts';
import { episode } from './support/episodes.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

describe('outcome write-back (SQLite only)', () => {
  const dir = tempDir('orrery-memory-outcomes-');

  const open = (clock: ManualClock) =>
    EpisodicMemory.open({ dbPath: `${dir.path}/m.db`, chroma: { mode: 'off' }, clock, shortTermSize: 10 });

  it('lists episodes once their horizon has passed, writes outcomes once, and survives a restart', async () => {
    const clock = new ManualClock(T0);
    let memory = await open(clock);
    const a = await memory.record(episode([1, 0], { id: 'a', time: T0, horizonMs: HOUR }));
    const b = await memory.record(episode([0, 1], { id: 'b', time: T0, horizonMs: 4 * HOUR }));
    expect(a.outcome).toEqual({ type: 'pending', dueAt: T0 + HOUR });
    expect(b.outcome).toEqual({ type: 'pending', dueAt: T0 + 4 * HOUR });

    expect(memory.pendingOutcomes(T0 + HOUR - 1)).toEqual([]);
    expect(memory.pendingOutcomes(T0 + HOUR).map((e) => e.id)).toEqual(['a']);

    clock.set(T0 + 2 * HOUR);
    expect(memory.pendingOutcomes().map((e) => e.id)).toEqual(['a']);
    const written = memory.writeOutcome('a', { return: 0.02, alpha: 0.005, horizonMs: HOUR });
    expect(written.outcome).toEqual({
      type: 'realised',
      return: 0.02,
      alpha: 0.005,
      horizonMs: HOUR,
      realisedAt: T0 + 2 * HOUR,
    });
    expect(memory.shortTerm.recent().find((e) => e.id === 'a')?.outcome.type).toBe('realised');
    expect(() => memory.writeOutcome('a', { return: 0.03, alpha: 0, horizonMs: HOUR })).toThrow(
      OutcomeAlreadyWrittenError,
    );
    expect(() => memory.writeOutcome('nope', { return: 0, alpha: 0, horizonMs: HOUR })).toThrow(
      EpisodeNotFoundError,
    );
    expect(memory.pendingOutcomes(T0 + 10 * HOUR).map((e) => e.id)).toEqual(['b']);
    await memory.close();

    // A new process: the outcome, the pending list and short-term memory come back from SQLite.
    memory = await open(clock);
    expect(memory.pendingOutcomes(T0 + 10 * HOUR).map((e) => e.id)).toEqual(['b']);
    expect(memory.shortTerm.recent().map((e) => e.id)).toEqual(['b', 'a']);
    expect(memory.shortTerm.recent()[1]?.outcome).toMatchObject({ type: 'realised', return: 0.02 });
    expect(memory.stats()).toMatchObject({
      episodes: 2,
      pending: 1,
      realised: 1,
      dimension: 2,
      index: 'off',
    });
    await memory.close();
    dir.remove();
  });
});

describe('patterns on a known history (SQLite only)', () => {
  it('summarises realised outcomes by regime and decision, per symbol and since a time', async () => {
    const dir = tempDir('orrery-memory-patterns-');
    const memory = await EpisodicMemory.open({ dbPath: `${dir.path}/m.db`, chroma: { mode: 'off' } });
    // trend_up/buy on BTC: returns +2 %, +1 %, -1 %, +2 %, +1 % (4 wins of 5, mean +1 %)
    // range/buy on BTC:     -1 %, -2 %, +0.5 %, -1 %, -1.5 % (1 win of 5, mean -1 %)
    // trend_up/buy on ETH (later): +5 %
    const rows: [string, string, string, number, number][] = [
      ['BTC', 'trend_up', 'buy', 0.02, 0.01],
      ['BTC', 'trend_up', 'buy', 0.01, 0.0],
      ['BTC', 'trend_up', 'buy', -0.01, -0.02],
      ['BTC', 'trend_up', 'buy', 0.02, 0.01],
      ['BTC', 'trend_up', 'buy', 0.01, 0.0],
      ['BTC', 'range', 'buy', -0.01, -0.01],
      ['BTC', 'range', 'buy', -0.02, -0.01],
      ['BTC', 'range', 'buy', 0.005, 0.0],
      ['BTC', 'range', 'buy', -0.01, -0.01],
      ['BTC', 'range', 'buy', -0.015, -0.01],
    ];
    for (const [i, [symbol, regime, decision, ret, alpha]] of rows.entries()) {
      const e = await memory.record(episode([1, i + 1], { symbol, regime, decision, time: T0 + i }));
      memory.writeOutcome(e.id, { return: ret, alpha, horizonMs: HOUR });
    }
    const late = await memory.record(episode([1, 1], { symbol: 'ETH', time: T0 + HOUR }));
    memory.writeOutcome(late.id, { return: 0.05, alpha: 0.04, horizonMs: HOUR });
    await memory.record(episode([1, 2], { symbol: 'ETH', time: T0 + HOUR })); // pending: not counted

    const all = memory.patterns();
    expect(all.total).toBe(11);
    const tu = all.groups.find((g) => g.regime === 'trend_up' && g.decision === 'buy')!;
    expect(tu).toMatchObject({ count: 6 });
    expect(tu.winRate).toBeCloseTo(5 / 6);
    expect(tu.meanReturn).toBeCloseTo(0.1 / 6);

    const btc = memory.patterns({ symbol: 'BTC' });
    expect(btc.total).toBe(10);
    expect(btc.successModes).toHaveLength(1);
    expect(btc.successModes[0]).toMatchObject({
      regime: 'trend_up',
      decision: 'buy',
      count: 5,
      winRate: 0.8,
    });
    expect(btc.successModes[0]?.meanReturn).toBeCloseTo(0.01);
    expect(btc.failureModes[0]).toMatchObject({ regime: 'range', decision: 'buy', count: 5, winRate: 0.2 });
    expect(btc.failureModes[0]?.meanReturn).toBeCloseTo(-0.01);
    expect(btc.text).toContain('Works: trend_up/buy n=5 win 80% ret +1.00%');
    expect(btc.text).toContain('Fails: range/buy n=5 win 20% ret -1.00%');

    expect(memory.patterns({ since: T0 + HOUR }).total).toBe(1);
    expect(memory.patterns({ maxChars: 120 }).text.length).toBeLessThanOrEqual(120);
    await memory.close();
    dir.remove();
  });
});
