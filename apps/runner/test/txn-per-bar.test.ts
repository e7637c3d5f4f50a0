import { basename, join } from 'node:path';
import { tempDir } from '@orrery/testkit';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runPaper } from '../src/session/paper-run.ts';

/**
 * One SQLite transaction per bar for everything a bar writes (ledger, operator control, the learning
 * loop's tables): counted, not timed. Every COMMIT and every write outside a transaction (an implicit
 * transaction of its own) of every connection in this process is counted, per database file, over paper
 * runs of one and two years of the bundled S&P 500 data with learning and control on, as by default.
 */
describe('transactions per bar', () => {
  const dir = tempDir('orrery-txn-per-bar-');
  afterAll(() => dir.remove());
  const io: CliIO = {
    out: () => undefined,
    err: () => undefined,
    env: {},
    cwd: dir.path,
    isTTY: false,
    signal: new AbortController().signal,
  };

  const probe = new Database(':memory:');
  const statementProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<
    string,
    (...a: unknown[]) => unknown
  >;
  probe.close();

  /** Transactions committed per database file (`:memory:` for the in-memory counterfactual). */
  type Counts = Map<string, number>;
  const bump = (c: Counts, file: string) => c.set(file, (c.get(file) ?? 0) + 1);
  const CONTROL = /^(BEGIN|ROLLBACK|SAVEPOINT|RELEASE)/;

  async function count(runId: string, to: string): Promise<{ counts: Counts; committed: number }> {
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
    const counts: Counts = new Map();
    const original = statementProto.run!;
    statementProto.run = function (this: Database.Statement, ...args: unknown[]) {
      const db = this.database;
      const file = db.name === ':memory:' ? ':memory:' : basename(db.name);
      if (this.source === 'COMMIT') bump(counts, file);
      else if (!this.readonly && !db.inTransaction && !CONTROL.test(this.source)) bump(counts, file);
      return original.apply(this, args);
    };
    try {
      const r = await runPaper({ loaded, runId, progress: false }, io);
      return { counts, committed: r.committed };
    } finally {
      statementProto.run = original;
    }
  }

  it('a bar commits once, in the ledger file; the learning file gets no transaction of its own', async () => {
    const y1 = await count('y1', '2012-12-31');
    const y2 = await count('y2', '2013-12-31');
    const bars = y2.committed - y1.committed;
    expect(bars).toBeGreaterThan(200);
    // every extra bar is exactly one more transaction on the run ledger's file
    expect((y2.counts.get('y2.db') ?? 0) - (y1.counts.get('y1.db') ?? 0)).toBe(bars);
    // and the per-run overhead (create, learner reset, finish) is a few transactions, not one per bar
    expect(y1.counts.get('y1.db') ?? 0).toBeLessThanOrEqual(y1.committed + 4);
    // the learning file is attached to the ledger's connection: its writes commit with the bar
    expect(y2.counts.get('learning.db') ?? 0).toBe(0);
    // nothing else on disk grows with the bars (the gateway file only marks the run once)
    const files = (c: Counts) =>
      [...c].filter(([f]) => f !== ':memory:' && !f.startsWith('y')).reduce((n, [, v]) => n + v, 0);
    expect(files(y2.counts)).toBe(files(y1.counts));
  });

  it('a run reads its cycle records once, at the end', async () => {
    const loaded = parseConfig(
      {
        memory: false,
        run: {
          data: [{ source: 'spy', symbol: 'SPY' }],
          from: '2012-01-01',
          to: '2012-06-30',
          ledgerPath: join(dir.path, 'once.db'),
          reportPath: join(dir.path, 'once.html'),
        },
      },
      { source: 'test', baseDir: dir.path, env: {} },
    );
    const reads: string[] = [];
    const originals = (['all', 'iterate', 'get'] as const).map((m) => [m, statementProto[m]!] as const);
    for (const [m, original] of originals)
      statementProto[m] = function (this: Database.Statement, ...args: unknown[]) {
        if (/\bFROM cycles\b/.test(this.source)) reads.push(m);
        return original.apply(this, args);
      };
    try {
      const r = await runPaper({ loaded, runId: 'once', progress: false }, io);
      expect(r.committed).toBeGreaterThan(100);
      expect(r.outcome.usage.cycles).toBe(r.committed);
    } finally {
      for (const [m, original] of originals) statementProto[m] = original;
    }
    // the counterfactual's ROI, the scoreboard, routing and supervision's stops share one read
    expect(reads).toEqual(['iterate']);
  });
});
