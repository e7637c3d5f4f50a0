import { describe, expect, it } from 'vitest';
import { formatTiming, overShare, RunTimer, type RunTiming, timingJson } from '../src/session/run-timer.ts';

/** A clock that moves only when told to. */
function manualClock() {
  let now = 1_000;
  return { read: () => now, advance: (ms: number) => (now += ms) };
}

describe('RunTimer', () => {
  it('charges time to the current phase; a nested phase is charged to itself only', async () => {
    const clock = manualClock();
    const timer = new RunTimer(clock.read);
    clock.advance(2); // before any phase: other
    await timer.time('loop', async () => {
      clock.advance(10);
      timer.time('learning', () => {
        expect(timer.phase).toBe('learning');
        clock.advance(4);
      });
      expect(timer.phase).toBe('loop');
      await Promise.resolve();
      clock.advance(6);
    });
    expect(timer.phase).toBe('other');
    timer.time('report', () => clock.advance(3));
    clock.advance(1);
    expect(timer.snapshot()).toEqual({
      totalMs: 26,
      phases: { loop: 16, counterfactual: 0, learning: 4, report: 3, other: 3 },
    });
  });

  it('resumes the phase before when the timed function throws or rejects, and returns its value', async () => {
    const clock = manualClock();
    const timer = new RunTimer(clock.read);
    expect(() =>
      timer.time('learning', () => {
        clock.advance(5);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(timer.phase).toBe('other');
    await expect(
      timer.time('counterfactual', async () => {
        clock.advance(7);
        throw new Error('late');
      }),
    ).rejects.toThrow('late');
    expect(timer.phase).toBe('other');
    expect(timer.time('report', () => 42)).toBe(42);
    expect(await timer.time('loop', async () => 'done')).toBe('done');
    expect(timer.snapshot().phases).toMatchObject({ learning: 5, counterfactual: 7 });
  });

  it('charges nothing for a clock stepping back', () => {
    const times = [100, 90, 95];
    const timer = new RunTimer(() => times.shift() ?? 95);
    timer.time('loop', () => undefined); // 100 -> 90: nothing; loop 90 -> 95
    expect(timer.snapshot()).toEqual({
      totalMs: 5,
      phases: { loop: 5, counterfactual: 0, learning: 0, report: 0, other: 0 },
    });
  });
});

const timing = (phases: Partial<RunTiming['phases']>): RunTiming => {
  const all = { loop: 0, counterfactual: 0, learning: 0, report: 0, other: 0, ...phases };
  return { totalMs: Object.values(all).reduce((a, b) => a + b, 0), phases: all };
};

describe('the timing line', () => {
  it('says seconds and shares per phase, with no warning when every phase keeps to its share', () => {
    const t = timing({ loop: 9_100, counterfactual: 1_200, learning: 1_600, report: 400 });
    expect(formatTiming(t)).toBe(
      'Time  12.3 s: loop 9.1 s (74 %), counterfactual 1.2 s (10 %), learning 1.6 s (13 %), report 400 ms (3 %), other 0 ms (0 %)',
    );
    expect(overShare(t)).toEqual([]);
    expect(timingJson(t)).toEqual({
      totalMs: 12_300,
      phasesMs: { loop: 9_100, counterfactual: 1_200, learning: 1_600, report: 400, other: 0 },
      shareLimitPct: 25,
      overShare: [],
    });
  });

  it('names the setting that turns off a phase above 25 %; the loop and the report are never flagged', () => {
    const t = timing({ loop: 300, counterfactual: 260, learning: 250, report: 190 });
    // 26 % and exactly 25 %: only the counterfactual is above its share.
    expect(overShare(t)).toEqual([
      { phase: 'counterfactual', share: 0.26, turnOff: 'run.counterfactual: false' },
    ]);
    expect(formatTiming(t)).toMatch(
      /; counterfactual took 26 % of the run, more than its share \(25 %\): run\.counterfactual: false turns it off$/,
    );
    const heavy = timing({ loop: 10, learning: 80, report: 10 });
    expect(formatTiming(heavy)).toContain(
      '; learning took 80 % of the run, more than its share (25 %): learning: false (or --learning off) turns it off',
    );
    expect(overShare(timing({ loop: 10, report: 90 }))).toEqual([]);
    expect(overShare(timing({}))).toEqual([]);
  });
});
