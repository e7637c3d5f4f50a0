import { join } from 'node:path';
import type { CycleRecord } from '@orrery/agents';
import { Ledger } from '@orrery/broker';
import { tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runPaper } from '../src/session/paper-run.ts';

/**
 * `agents.risk.maxCorrelatedExposure` through `orrery paper`: two symbols on the same S&P 500 series are
 * one bet (correlation 1); the orchestrator holds their joint target to the cap, step after step.
 */
describe('portfolio limits across symbols in orrery paper', () => {
  const dir = tempDir('orrery-portfolio-');
  afterAll(() => dir.remove());
  const io: CliIO = {
    out: () => undefined,
    err: () => undefined,
    env: {},
    cwd: dir.path,
    isTTY: false,
    signal: new AbortController().signal,
  };

  async function run(runId: string, risk: Record<string, unknown>): Promise<Map<number, CycleRecord[]>> {
    const loaded = parseConfig(
      {
        memory: false,
        agents: { risk },
        run: {
          data: [
            { source: 'spy', symbol: 'SPY' },
            { source: 'spy', symbol: 'SPX2' },
          ],
          from: '2015-01-01',
          to: '2017-12-31',
          ledgerPath: join(dir.path, `${runId}.db`),
          reportPath: join(dir.path, `${runId}.html`),
        },
      },
      { source: 'test', baseDir: dir.path, env: {} },
    );
    await runPaper({ loaded, runId, progress: false }, io);
    const ledger = Ledger.open(join(dir.path, `${runId}.db`));
    const byTime = new Map<number, CycleRecord[]>();
    for (const c of ledger.cycles(runId)) {
      const r = c.record as CycleRecord;
      byTime.set(r.time, [...(byTime.get(r.time) ?? []), r]);
    }
    ledger.close();
    return byTime;
  }
  const joint = (rs: CycleRecord[]) => rs.reduce((a, r) => a + Math.abs(r.decision.targetFraction), 0);

  it('holds the joint target of correlated symbols to the cap; without the key it is not held', async () => {
    const free = await run('free', {});
    const capped = await run('capped', { maxCorrelatedExposure: 0.4, correlationSpan: 20 });
    const steps = [...capped.entries()].sort((a, b) => a[0] - b[0]);
    expect(steps.length).toBeGreaterThan(700);
    // warm: the correlation needs span/2 common bars
    const warm = steps.slice(15).filter(([, rs]) => rs.length === 2);
    for (const [time, rs] of warm) expect(joint(rs), String(time)).toBeLessThanOrEqual(0.4 + 1e-9);
    const clamped = warm.filter(([, rs]) => rs.some((r) => r.clamps.includes('correlated exposure')));
    expect(clamped.length).toBeGreaterThan(100);
    for (const [, rs] of clamped)
      for (const r of rs)
        if (r.clamps.includes('correlated exposure'))
          expect(r.decision.rationale).toMatch(/correlated exposure/);
    // the same run without the limit goes well past it
    expect(Math.max(...[...free.values()].map(joint))).toBeGreaterThan(0.6);
  }, 300_000);
});
