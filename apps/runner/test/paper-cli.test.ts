import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ledger } from '@orrery/broker';
import { BUNDLED_DATASETS, loadCsvFile } from '@orrery/feeds';
import { tempDir } from '@orrery/testkit';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { haveChromium, launchChromium, probeReport } from './support/chromium.ts';
import { orrery, startOrrery, writeTestConfig } from './support/paper-cli.ts';

const dirs: { remove(): void }[] = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});
function workDir(): string {
  const d = tempDir('orrery-paper-');
  dirs.push(d);
  return d.path;
}

describe('orrery paper, end to end', () => {
  it('runs the whole hierarchy on a slice of real BTC data with embedded memory, then reports', async () => {
    const dir = workDir();
    const config = await writeTestConfig(dir);
    const report = join(dir, 'out', 'report.html');
    const res = orrery(dir, [
      'paper',
      '--data',
      'btc',
      '--from',
      '2020-01-01',
      '--to',
      '2020-06-30',
      '--config',
      config,
      '--run-id',
      'e2e',
      '--report',
      report,
    ]);
    expect(res.stderr).not.toMatch(/^error/m);
    expect(res.status).toBe(0);

    // Said once, on stderr: no LLM is reachable, so the planets' consensus decides.
    expect(res.stderr.match(/no reachable LLM/g)).toHaveLength(1);
    expect(res.stderr).toContain('bitcoin.csv: kept 1246 of 1246 rows');
    for (const label of [
      'Total return',
      'CAGR',
      'Sharpe',
      'Sortino',
      'Max drawdown',
      'Trades (round trips)',
      'Win rate',
      'Buy & hold',
      'Mode mix',
      'LLM calls',
      'Tokens (in / out)',
      'Cost',
      'Calls avoided',
    ])
      expect(res.stdout).toContain(label);
    expect(res.stdout).toContain('Run e2e · BTC/USDT · 2020-01-01 .. 2020-06-30 · 182 cycles');
    expect(res.stdout).toMatch(/LLM calls\s+0\n/);
    expect(res.stdout).toContain(`Report: ${report}`);

    // Buy-and-hold in the summary is the real file's, close to close.
    const bars = loadCsvFile(BUNDLED_DATASETS.btc.path, BUNDLED_DATASETS.btc.load).bars.filter(
      (b) => b.time >= Date.UTC(2020, 0, 1) && b.time <= Date.UTC(2020, 5, 30),
    );
    const bh = ((bars.at(-1)!.close / bars[0]!.close - 1) * 100).toFixed(2);
    expect(res.stdout).toMatch(new RegExp(`Buy & hold\\s+${bh} %`));

    const ledger = Ledger.open(join(dir, '.orrery', 'ledger.db'));
    try {
      expect(ledger.getRun('e2e')).toMatchObject({ status: 'completed', lastTime: bars.at(-1)!.time });
      expect(ledger.equityCurve('e2e')).toHaveLength(bars.length);
      const cycles = ledger.cycles('e2e');
      expect(cycles.map((c) => c.time)).toEqual(bars.map((b) => b.time));
      expect(new Set(cycles.map((c) => c.mode))).toContain('MONITOR_ONLY');
      // Every fill happened on a bar after the one its order was placed on.
      const placed = new Map(ledger.orders('e2e').map((o) => [o.id, o.placedAt]));
      for (const f of ledger.fills('e2e')) expect(f.time).toBeGreaterThan(placed.get(f.id)!);
    } finally {
      ledger.close();
    }
    // Reasoned cycles went to this run's own episodic memory, and their outcomes were written back.
    const mem = new Database(join(dir, '.orrery', 'memory', 'e2e', 'episodes.db'), { readonly: true });
    const { n, realised } = mem
      .prepare('SELECT count(*) n, count(outcome_return) realised FROM episodes')
      .get() as {
      n: number;
      realised: number;
    };
    mem.close();
    expect(n).toBeGreaterThan(0);
    expect(realised).toBeGreaterThan(0);

    expect(existsSync(report)).toBe(true);
    if (haveChromium) {
      const browser = await launchChromium();
      try {
        const { charts, requests, errors } = await probeReport(browser.context, report);
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
        const by = Object.fromEntries(charts.map((c) => [c.id, c]));
        expect(by.equity!.points).toEqual({ strategy: bars.length, 'buy & hold': bars.length });
        expect(by.price!.points.close).toBe(bars.length);
        expect(charts.every((c) => c.canvas)).toBe(true);
      } finally {
        await browser.close();
      }
    }
    expect(readFileSync(report, 'utf8')).toContain('running on planet consensus');
  }, 300_000);

  it('refuses to reuse a run id, to resume a run that does not exist, or bad dates, naming why', async () => {
    const dir = workDir();
    const config = await writeTestConfig(dir, 'memory: false\n');
    const args = ['paper', '--config', config, '--from', '2020-08-01', '--run-id', 'once'];
    expect(orrery(dir, args).status).toBe(0);
    const again = orrery(dir, args);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(
      'error: run once: already exists in the ledger; use --resume or another --run-id',
    );
    const missing = orrery(dir, ['paper', '--config', config, '--resume', '--run-id', 'nope']);
    expect(missing.stderr).toContain('error: run nope: no such run to resume in the ledger');
    const other = orrery(dir, [
      'paper',
      '--config',
      config,
      '--from',
      '2020-07-01',
      '--resume',
      '--run-id',
      'once',
    ]);
    expect(other.stderr).toContain('error: run once: was started on other data or another range');
    const date = orrery(dir, ['paper', '--config', config, '--from', 'soon']);
    expect(date.stderr).toContain("error: --from 'soon' is not a date like 2015-01-31");
    const file = orrery(dir, ['paper', '--config', config, '--data', join(dir, 'none.csv')]);
    expect(file.stderr).toMatch(/error: .*none\.csv: cannot read the file/);
  }, 300_000);
});

describe('kill -9 during a run, then --resume', () => {
  it('loses no fill and doubles none: the resumed run matches an uninterrupted one', async () => {
    const dir = workDir();
    const config = await writeTestConfig(dir, 'memory: false\n');
    const common = ['paper', '--config', config, '--data', 'spy', '--from', '2004-01-01', '--no-progress'];

    const straight = orrery(dir, [...common, '--run-id', 'straight']);
    expect(straight.status).toBe(0);

    const child = startOrrery(dir, [...common, '--run-id', 'killed']);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ledgerPath = join(dir, '.orrery', 'ledger.db');
    let committed = 0;
    for (let i = 0; i < 6000 && committed < 800; i++) {
      await sleep(10);
      if (!existsSync(ledgerPath)) continue;
      const db = new Database(ledgerPath, { readonly: true, fileMustExist: true });
      try {
        committed = (
          db.prepare("SELECT count(*) n FROM equity WHERE run_id = 'killed'").get() as { n: number }
        ).n;
      } catch {
        committed = 0; // tables not created yet
      } finally {
        db.close();
      }
    }
    child.kill('SIGKILL');
    await exited;

    const ledger = Ledger.open(ledgerPath);
    const total = ledger.equityCurve('straight').length;
    const atKill = ledger.getRun('killed')!;
    expect(atKill.status).toBe('running');
    const killedAt = ledger.equityCurve('killed').length;
    expect(killedAt).toBeGreaterThanOrEqual(800);
    expect(killedAt).toBeLessThan(total);
    ledger.close();

    const resumed = orrery(dir, [...common, '--run-id', 'killed', '--resume']);
    expect(resumed.stderr).not.toMatch(/^error/m);
    expect(resumed.status).toBe(0);

    const after = Ledger.open(ledgerPath);
    try {
      const strip = (id: string, run: string) => id.slice(run.length);
      const fillsOf = (run: string) => after.fills(run).map((f) => ({ ...f, id: strip(f.id, run) }));
      const ordersOf = (run: string) => after.orders(run).map((o) => ({ ...o, id: strip(o.id, run) }));
      expect(after.getRun('killed')!.status).toBe('completed');
      expect(fillsOf('straight').length).toBeGreaterThan(10);
      expect(fillsOf('killed')).toEqual(fillsOf('straight'));
      expect(ordersOf('killed')).toEqual(ordersOf('straight'));
      expect(after.equityCurve('killed')).toEqual(after.equityCurve('straight'));
      const decisions = (run: string) =>
        after.cycles(run).map((c) => [c.time, (c.record as { decision: unknown }).decision]);
      expect(decisions('killed')).toEqual(decisions('straight'));
      expect(after.cycles('killed')).toHaveLength(total);
    } finally {
      after.close();
    }
  }, 300_000);
});
