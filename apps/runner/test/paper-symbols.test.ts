import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { BUNDLED_DATASETS, loadCsvFile } from '@orrery/feeds';
import { freePort, tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runPaper } from '../src/session/paper-run.ts';
import { writeTestConfig } from './support/paper-cli.ts';

const dir = tempDir('orrery-symbols-');
afterAll(() => dir.remove());

describe('orrery paper on several symbols', () => {
  it('trades BTC (every day) and SPY (trading days) from one account, bar by bar in time order', async () => {
    const from = Date.UTC(2019, 5, 1);
    const to = Date.UTC(2020, 5, 30);
    const inRange = (name: 'btc' | 'spy') =>
      loadCsvFile(BUNDLED_DATASETS[name].path, BUNDLED_DATASETS[name].load).bars.filter(
        (b) => b.time >= from && b.time <= to,
      );
    const btc = inRange('btc');
    const spy = inRange('spy');
    const out: string[] = [];
    const loaded = parseConfig(
      {
        memory: false,
        gateway: { routing: { localBaseUrl: `http://127.0.0.1:${await freePort()}/v1` } },
        run: {
          data: [{ source: 'btc' }, { source: 'spy' }],
          from: '2019-06-01',
          to: '2020-06-30',
          ledgerPath: join(dir.path, 'l.db'),
          reportPath: join(dir.path, 'r.html'),
        },
      },
      { source: 'test', baseDir: dir.path, env: {} },
    );
    const res = await runPaper(
      { loaded, runId: 'two', progress: false },
      {
        out: (t) => out.push(t),
        err: () => undefined,
        env: {},
        cwd: dir.path,
        isTTY: false,
        signal: new AbortController().signal,
      },
    );
    expect(out[0]).toMatch(/^Run two · BTC\/USDT, SPY · 2019-06-01 \.\. 2020-06-30 · \d+ cycles$/);
    expect(res.outcome.usage.cycles).toBe(btc.length + spy.length);
    const ledger = Ledger.open(join(dir.path, 'l.db'));
    try {
      const cycles = ledger.cycles('two');
      expect(cycles.filter((c) => c.symbol === 'SPY').map((c) => c.time)).toEqual(spy.map((b) => b.time));
      expect(cycles.filter((c) => c.symbol === 'BTC/USDT').map((c) => c.time)).toEqual(
        btc.map((b) => b.time),
      );
      // One equity point per distinct bar time; SPY's weekends are marked at its last close.
      const times = new Set([...btc, ...spy].map((b) => b.time));
      expect(ledger.equityCurve('two')).toHaveLength(times.size);
      const fills = ledger.fills('two');
      for (const f of fills) expect(['BTC/USDT', 'SPY']).toContain(f.symbol);
    } finally {
      ledger.close();
    }
  }, 300_000);
});

const DAY = 86_400_000;
/** A calm random walk: n daily closes from 100, moves of about 1 %. */
function walk(n: number, seed = 1): number[] {
  let x = seed;
  let p = 100;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 16807) % 2147483647;
    p *= 1 + ((x / 2147483647) * 2 - 1) * 0.01;
    out.push(Math.round(p * 1e6) / 1e6);
  }
  return out;
}

describe('orrery paper on a wide multi-asset file', () => {
  // One unnamed date column, then BTC:open … LTC:volume; ETH is listed on day 20, LTC on day 45.
  function wideFile(dir: string): { file: string; n: number } {
    const n = 120;
    const coins = [
      { name: 'BTC', from: 0, closes: walk(n, 3) },
      { name: 'ETH', from: 20, closes: walk(n, 5) },
      { name: 'LTC', from: 45, closes: walk(n, 7) },
    ];
    const header = [
      '',
      ...coins.flatMap((c) => ['open', 'high', 'low', 'close', 'volume'].map((f) => `${c.name}:${f}`)),
    ];
    const lines = [header.join(',')];
    for (let i = 0; i < n; i++) {
      const cells = [new Date(Date.UTC(2021, 0, 1) + i * DAY).toISOString().slice(0, 10)];
      for (const c of coins) {
        const p = c.closes[i]!;
        cells.push(...(i < c.from ? ['', '', '', '', ''] : [p, p * 1.01, p * 0.99, p, 500].map(String)));
      }
      lines.push(cells.join(','));
    }
    const file = join(dir, 'coins.csv');
    writeFileSync(file, lines.join('\n'));
    return { file, n };
  }

  it('orrery paper --data FILE --symbols BTC,ETH,LTC trades the three from the command line', async () => {
    const { file } = wideFile(dir.path);
    const config = await writeTestConfig(dir.path);
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      env: {},
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const code = await main(
      [
        'node',
        'orrery',
        'paper',
        '--data',
        file,
        '--symbols',
        'BTC,ETH,LTC',
        '--config',
        config,
        '--no-memory',
        '--run-id',
        'wide',
        '--report',
        join(dir.path, 'r.html'),
      ],
      io,
    );
    expect(err.join('\n')).not.toMatch(/^error/m);
    expect(code, [...err, ...out].join('\n')).toBe(0);
    expect(err.join('\n')).toContain('coins.csv [LTC]: kept 75 of 75 rows');
    expect(out.join('\n')).toContain('Run wide · BTC, ETH, LTC · 2021-01-01 .. 2021-04-30 · 295 cycles');
  }, 120_000);
});
