import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ledger } from '@orrery/broker';
import { type FakeBinance, type Kline, startFakeBinance, tempDir } from '@orrery/testkit';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orreryAsync, startOrrery, writeTestConfig } from './support/paper-cli.ts';

/** One-second candles that follow the wall clock: a slow wave, every candle valid, the last one forming. */
function secondCandles(startTime: number, limit: number): Kline[] {
  const out: Kline[] = [];
  const first = Math.ceil(startTime / 1000) * 1000;
  for (let t = first; t <= Date.now() && out.length < limit; t += 1000) {
    const p = (s: number) => 30_000 + 400 * Math.sin(s / 20_000) + 50 * Math.sin(s / 3_000);
    const open = p(t);
    const close = p(t + 1000);
    const high = Math.max(open, close) + 5;
    const low = Math.min(open, close) - 5;
    out.push([t, open.toFixed(2), high.toFixed(2), low.toFixed(2), close.toFixed(2), '1.5']);
  }
  return out;
}

describe('orrery run (live feed, paper broker)', () => {
  const dir = tempDir('orrery-live-');
  let fb: FakeBinance;
  beforeAll(async () => {
    fb = await startFakeBinance();
    fb.generate = secondCandles;
  });
  afterAll(async () => {
    await fb.close();
    dir.remove();
  });

  it('warms on history, trades only bars that close after it started, and stops after --max-bars', async () => {
    const config = await writeTestConfig(dir.path, 'memory: false\n');
    const started = Date.now();
    const res = await orreryAsync(dir.path, [
      'run',
      '--config',
      config,
      '--symbol',
      'BTC/USDT',
      '--timeframe',
      '1s',
      '--api-url',
      `${fb.url}/api/v3`,
      '--run-id',
      'live1',
      '--max-bars',
      '3',
      '--report',
      join(dir.path, 'live1.html'),
    ]);
    expect(res.stderr).not.toMatch(/^error/m);
    expect(res.status).toBe(0);
    expect(res.stderr).toContain('paper broker only (no API key, no order leaves this process)');
    expect(res.stdout).toContain('Run live1 · BTC/USDT');
    expect(res.stdout).toMatch(/Mode mix .*\(3 cycles\)/);
    // Every klines request was public: no key, no signature.
    for (const q of fb.requests) {
      expect(q.get('signature')).toBeNull();
      expect(q.get('symbol')).toBe('BTCUSDT');
      expect(q.get('interval')).toBe('1s');
    }
    const ledger = Ledger.open(join(dir.path, '.orrery', 'ledger.db'));
    try {
      const curve = ledger.equityCurve('live1');
      expect(curve).toHaveLength(3);
      // Only bars that closed after the run was created were traded.
      const created = ledger.getRun('live1')!.createdAt;
      expect(created).toBeGreaterThanOrEqual(started - 1000);
      for (const p of curve) expect(p.time + 1000).toBeGreaterThan(created);
      expect(ledger.getRun('live1')!.status).toBe('completed');
    } finally {
      ledger.close();
    }
  }, 180_000);

  it('stops cleanly on SIGINT after committing the bar in progress, and resumes where it stopped', async () => {
    const config = await writeTestConfig(dir.path, 'memory: false\n');
    const args = [
      'run',
      '--config',
      config,
      '--timeframe',
      '1s',
      '--api-url',
      `${fb.url}/api/v3`,
      '--run-id',
      'live2',
    ];
    const child = startOrrery(dir.path, args);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const ledgerPath = join(dir.path, '.orrery', 'ledger.db');
    let n = 0;
    for (let i = 0; i < 3000 && n < 2; i++) {
      await sleep(20);
      if (!existsSync(ledgerPath)) continue;
      const db = new Database(ledgerPath, { readonly: true });
      try {
        n = (db.prepare("SELECT count(*) n FROM equity WHERE run_id = 'live2'").get() as { n: number }).n;
      } catch {
        n = 0; // tables not created yet
      } finally {
        db.close();
      }
    }
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
    expect(stderr, stderr).toContain('continue with: orrery run --resume --run-id live2');

    const before = Ledger.open(ledgerPath);
    const stopped = before.equityCurve('live2');
    expect(before.getRun('live2')!.status).toBe('running');
    before.close();

    const resumed = await orreryAsync(dir.path, [...args, '--resume', '--max-bars', '2', '--json']);
    expect(resumed.stderr).not.toMatch(/^error/m);
    expect(resumed.status).toBe(0);
    const after = Ledger.open(ledgerPath);
    try {
      const curve = after.equityCurve('live2');
      // `orrery run --json`: the scoreboard of the whole run, as one object on stdout.
      const j = JSON.parse(resumed.stdout);
      expect(j).toMatchObject({ runId: 'live2', bars: curve.length, stopped: false });
      expect(j.returnPct).toBeCloseTo((curve.at(-1)!.equity / j.startEquity - 1) * 100, 8);
      expect(curve.slice(0, stopped.length)).toEqual(stopped);
      expect(curve.length).toBeGreaterThanOrEqual(stopped.length + 2);
      const times = curve.map((p) => p.time);
      expect(new Set(times).size).toBe(times.length);
    } finally {
      after.close();
    }
  }, 180_000);
});
