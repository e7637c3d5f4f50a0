import { join } from 'node:path';
import { tempDir } from '@orrery/testkit';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runPaper } from '../src/session/paper-run.ts';

/**
 * Per-bar work is O(1) in the run's length: counted, not timed. Every statement better-sqlite3 prepares
 * and executes in this process is counted over paper runs of one, two and three years of the bundled
 * S&P 500 data (learning, the counterfactual and operator control on, as by default).
 */
describe('SQL per bar does not grow with the run', () => {
  const dir = tempDir('orrery-sql-per-bar-');
  afterAll(() => dir.remove());
  const io: CliIO = {
    out: () => undefined,
    err: () => undefined,
    env: {},
    cwd: dir.path,
    isTTY: false,
    signal: new AbortController().signal,
  };

  // One counter for every statement of every connection: the prototypes are shared.
  const probe = new Database(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<
    string,
    (...a: unknown[]) => unknown
  >;
  probe.close();
  const dbProto = Database.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  const counts = { prepared: 0, executed: 0 };
  const wrap = (
    proto: Record<string, (...a: unknown[]) => unknown>,
    name: string,
    key: keyof typeof counts,
  ) => {
    const original = proto[name]!;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      counts[key]++;
      return original.apply(this, args);
    };
    return () => {
      proto[name] = original;
    };
  };

  async function count(runId: string, to: string): Promise<typeof counts> {
    const loaded = parseConfig(
      {
        memory: false,
        run: {
          data: [{ source: 'spy', symbol: 'SPY' }],
          from: '2012-01-01',
          to,
          ledgerPath: join(dir.path, `${runId}.db`),
          reportPath: join(dir.path, `${runId}.html`),
        },
      },
      { source: 'test', baseDir: dir.path, env: {} },
    );
    counts.prepared = 0;
    counts.executed = 0;
    const unwrap = [
      wrap(dbProto, 'prepare', 'prepared'),
      ...['run', 'get', 'all', 'iterate'].map((m) => wrap(statementProto, m, 'executed')),
    ];
    try {
      await runPaper({ loaded, runId, progress: false }, io);
    } finally {
      for (const u of unwrap) u();
    }
    return { ...counts };
  }

  it('the second and third year of bars cost no more statements than the first; statements are prepared once', async () => {
    const y1 = await count('y1', '2012-12-31');
    const y2 = await count('y2', '2013-12-31');
    const y3 = await count('y3', '2014-12-31');
    const perBar1 = (y2.executed - y1.executed) / 252;
    const perBar2 = (y3.executed - y2.executed) / 252;
    expect(y1.executed).toBeGreaterThan(0);
    // a year more of bars costs about the same number of statements whatever came before
    expect(perBar2).toBeLessThanOrEqual(perBar1 * 1.15 + 1);
    // each store prepares its statements once: a longer run prepares (almost) nothing more
    expect(y3.prepared - y1.prepared).toBeLessThanOrEqual(5);
  });
});
