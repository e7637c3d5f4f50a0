import { join } from 'node:path';
import { freePort, tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { Ledger } from '../src/broker/ledger-db.ts';
import { parseConfig } from '../src/config/load.ts';
import { BUNDLED_DATASETS } from '../src/feeds/bundled.ts';
import { loadCsvFile } from '../src/feeds/csv-loader.ts';
import { runPaper } from '../src/session/paper-run.ts';

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
