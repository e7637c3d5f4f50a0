import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runPaper } from '../src/session/paper-run.ts';
import { type RunPhase, RunTimer } from '../src/session/run-timer.ts';

/**
 * The summary's timing line through the real paper path (bundled S&P 500 data, no LLM, no memory,
 * learning and the counterfactual on as by default), on a fake clock: each read advances it by a fixed
 * cost of the phase being left, so every phase's figure is its cost times the number of stretches it
 * ran — each learner refreshes in every bar's commit, so the loop and the counterfactual are cut into
 * bars + 1 stretches; the report runs in two (the cycle records digested in one read, then the reports
 * written).
 */
describe('where a paper run’s time went', () => {
  const dir = tempDir('orrery-run-timing-');
  afterAll(() => dir.remove());

  function setup(runId: string, extra: Record<string, unknown> = {}) {
    const out: string[] = [];
    const io: CliIO = {
      out: (line) => out.push(line),
      err: () => undefined,
      env: {},
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const loaded = parseConfig(
      {
        memory: false,
        ...extra,
        run: {
          data: [{ source: 'spy', symbol: 'SPY' }],
          from: '2012-01-01',
          to: '2012-01-31',
          ledgerPath: join(dir.path, `${runId}.db`),
          reportPath: join(dir.path, `${runId}.html`),
          ...(extra.run as object | undefined),
        },
      },
      { source: 'test', baseDir: dir.path, env: {} },
    );
    return { out, io, loaded };
  }

  /** A timer whose clock advances by `cost[phase]` ms at each read, `phase` being the one left. */
  function fakeTimer(cost: Record<RunPhase, number>): RunTimer {
    let now = 0;
    let timer: RunTimer | undefined;
    const clock = () => {
      if (timer !== undefined) now += cost[timer.phase];
      return now;
    };
    timer = new RunTimer(clock);
    return timer;
  }

  const ledgerOf = (runId: string) => Ledger.open(join(dir.path, `${runId}.db`));

  it('charges the loop, the counterfactual, both learners and the report, exactly, in text and JSON', async () => {
    const cost = { loop: 30, counterfactual: 7, learning: 2, report: 11, other: 1 };
    const text = setup('text');
    const res = await runPaper(
      { loaded: text.loaded, runId: 'text', progress: false, timer: fakeTimer(cost) },
      text.io,
    );
    const bars = res.committed;
    expect(bars).toBe(20); // January 2012's trading days
    const expected = {
      loop: 30 * (bars + 1),
      counterfactual: 7 * (bars + 1),
      learning: 2 * 2 * bars, // the run's learner and the counterfactual's, once per bar each
      report: 11 * 2,
      other: 5, // before the loop, after it, around the counterfactual, after the report
    };
    expect(res.timing).toEqual({ totalMs: 884, phases: expected });
    expect(text.out).toContain(
      'Time  884 ms: loop 630 ms (71 %), counterfactual 147 ms (17 %), learning 80 ms (9 %), report 22 ms (2 %), other 5 ms (1 %)',
    );
    expect(text.out.at(-1)).toMatch(/^Report: /);

    const json = setup('json');
    await runPaper(
      { loaded: json.loaded, runId: 'json', progress: false, json: true, timer: fakeTimer(cost) },
      json.io,
    );
    expect(json.out).toHaveLength(1);
    expect(JSON.parse(json.out[0]!).timing).toEqual({
      totalMs: 884,
      phasesMs: expected,
      shareLimitPct: 25,
      overShare: [],
    });
  });

  it('says when learning takes more than its share, and which setting turns it off', async () => {
    const cost = { loop: 1, counterfactual: 1, learning: 3, report: 0, other: 0 };
    const { out, io, loaded } = setup('heavy');
    const res = await runPaper({ loaded, runId: 'heavy', progress: false, timer: fakeTimer(cost) }, io);
    // loop 21, counterfactual 21, learning 3 × 40 = 120 of 162 ms: 74 %.
    expect(res.timing.phases).toMatchObject({ loop: 21, counterfactual: 21, learning: 120 });
    const line = out.find((l) => l.startsWith('Time '));
    expect(line).toBe(
      'Time  162 ms: loop 21 ms (13 %), counterfactual 21 ms (13 %), learning 120 ms (74 %), report 0 ms (0 %), other 0 ms (0 %)' +
        '; learning took 74 % of the run, more than its share (25 %): learning: false (or --learning off) turns it off',
    );

    // Learning off: nothing charged to it (and nothing cuts the loop or the counterfactual), nothing said.
    const off = setup('off', { learning: false });
    const quiet = await runPaper(
      { loaded: off.loaded, runId: 'off', progress: false, timer: fakeTimer(cost) },
      off.io,
    );
    expect(quiet.timing.phases).toMatchObject({ loop: 1, counterfactual: 1, learning: 0 });
    expect(off.out.find((l) => l.startsWith('Time '))).not.toContain('learning took');
  });

  it('skips the counterfactual with run.counterfactual: false: nothing charged to it, no LLM ROI, same trades', async () => {
    const cost = { loop: 1, counterfactual: 50, learning: 1, report: 1, other: 0 };
    const on = setup('cf-on');
    const off = setup('cf-off', { run: { counterfactual: false } });
    const withIt = await runPaper(
      { loaded: on.loaded, runId: 'cf-on', progress: false, timer: fakeTimer(cost) },
      on.io,
    );
    const without = await runPaper(
      { loaded: off.loaded, runId: 'cf-off', progress: false, json: true, timer: fakeTimer(cost) },
      off.io,
    );
    // With it: 21 stretches of 50 ms, 1050 of 1113 ms (94 %), and the line says how to turn it off.
    expect(withIt.timing.phases.counterfactual).toBe(1_050);
    expect(on.out.find((l) => l.startsWith('Time '))).toContain(
      '; counterfactual took 94 % of the run, more than its share (25 %): run.counterfactual: false turns it off',
    );
    expect(withIt.roi).toBeDefined();
    expect(without.roi).toBeUndefined();
    // Only the run's learner is left: 20 refreshes.
    expect(without.timing.phases).toMatchObject({ counterfactual: 0, learning: 20 });
    const json = JSON.parse(off.out[0]!);
    expect(json.llm.roi).toBeUndefined();
    // loop 21 + learning 20 + report 2: learning is now the one above its share.
    expect(json.timing.overShare.map((o: { phase: string }) => o.phase)).toEqual(['learning']);
    expect(json.endEquity).toBe(withIt.outcome.performance.endEquity);
    expect(without.outcome.performance.trades).toBe(withIt.outcome.performance.trades);
  });

  it('leaves the run’s results as they are without a fake clock', async () => {
    const cost = { loop: 5, counterfactual: 5, learning: 5, report: 5, other: 5 };
    const a = setup('same-a');
    const b = setup('same-b');
    const ra = await runPaper(
      { loaded: a.loaded, runId: 'same-a', progress: false, timer: fakeTimer(cost) },
      a.io,
    );
    const rb = await runPaper({ loaded: b.loaded, runId: 'same-b', progress: false }, b.io);
    expect(rb.timing.totalMs).toBeGreaterThan(0);
    expect(ra.roi).toEqual(rb.roi);
    const [la, lb] = [ledgerOf('same-a'), ledgerOf('same-b')];
    try {
      expect(la.equityCurve('same-a')).toEqual(lb.equityCurve('same-b'));
      // Stage timings inside a record are wall-clock; everything else must match.
      const decided = (l: Ledger, id: string) =>
        l.cycles(id).map(({ record }) => {
          const { stagesMs: _, ...rest } = record as { stagesMs?: unknown };
          return rest;
        });
      expect(decided(la, 'same-a')).toEqual(decided(lb, 'same-b'));
    } finally {
      la.close();
      lb.close();
    }
  });
});
