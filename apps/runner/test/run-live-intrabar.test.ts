import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { ManualClock } from '@orrery/core';
import { type FakeBinance, freePort, type Kline, startFakeBinance, tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditTrail } from '../src/audit/trail.ts';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runLive } from '../src/session/live-run.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 2, 2);
/** Closed bars before the run (they warm the moons), then one calm traded bar. */
const WARM = 300;
/** The second traded bar crashes 20% at 30 s into the bar, and another 5% at 50 s. */
const CRASH_BAR = WARM + 1;

/** The price at clock time `t`: a climb (0.3% a minute, with a wobble), then the crash inside bar 61. */
function price(t: number): number {
  const climb = 30_000 * 1.003 ** ((t - T0) / MIN) * (1 + 0.002 * Math.sin((t - T0) / 47_000));
  const into = t - (T0 + CRASH_BAR * MIN);
  if (into < 30_000) return climb;
  return climb * (into < 50_000 ? 0.8 : 0.75);
}

/** The candle of bar `i` as the exchange serves it at clock time `now` (forming when it has not closed). */
function candle(i: number, now: number): Kline {
  const open = T0 + i * MIN;
  const end = Math.min(open + MIN, now);
  const ps: number[] = [];
  for (let t = open; t <= end; t += 5_000) ps.push(price(Math.min(t, open + MIN - 1)));
  const close = ps.at(-1)!;
  const high = Math.max(...ps) * 1.0005;
  const low = Math.min(...ps) * 0.9995;
  const f = (x: number) => x.toFixed(2);
  return [open, f(ps[0]!), f(high), f(low), f(close), (10 * ps.length).toFixed(2)];
}

describe('orrery run with run.intrabar: a crash mid-bar wakes the sun', () => {
  const dir = tempDir('orrery-intrabar-');
  let fb: FakeBinance;
  const clock = new ManualClock(T0 + WARM * MIN + 5_000); // bar WARM is forming when the run starts
  beforeAll(async () => {
    fb = await startFakeBinance();
    fb.generate = (start, limit) => {
      const out: Kline[] = [];
      for (let i = Math.max(0, Math.ceil((start - T0) / MIN)); T0 + i * MIN <= clock.now(); i++) {
        if (out.length >= limit) break;
        out.push(candle(i, clock.now()));
      }
      return out;
    };
  });
  afterAll(async () => {
    await fb.close();
    dir.remove();
  });

  it('peeks every poll, wakes once on the crash, fills at the last price inside the range so far, and audits it', async () => {
    const closed = await freePort();
    const ledgerPath = join(dir.path, 'ledger.db');
    const loaded = parseConfig(
      {
        memory: false,
        learning: false,
        // ATR stops: the crash crosses the stop set at the first traded bar's close.
        agents: { risk: { stops: true } },
        gateway: { routing: { localBaseUrl: `http://127.0.0.1:${closed}/v1` } },
        broker: { slippageBps: 5, slippageRangeFraction: 0.1 },
        run: {
          ledgerPath,
          gatewayDbPath: join(dir.path, 'gateway.db'),
          reportPath: join(dir.path, 'report.html'),
          // A poll that fails under load is tried again on the same 10 s grid.
          live: {
            timeframe: '1m',
            warmupBars: WARM,
            pollMs: 60_000,
            retryBaseMs: 10_000,
            retryMaxMs: 10_000,
          },
          intrabar: { enabled: true, pollMs: 10_000 },
        },
      },
      { source: 'test', baseDir: dir.path, env: {} },
    );
    const lines: string[] = [];
    const io: CliIO = {
      out: () => undefined,
      err: (line) => lines.push(line),
      env: {},
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const sleeps: number[] = [];
    const base = { loaded, runId: 'crash', apiUrl: `${fb.url}/api/v3`, clock };
    const { runId } = await runLive(
      {
        ...base,
        maxBars: 2,
        sleep: async (ms) => {
          sleeps.push(ms);
          clock.advance(ms);
        },
      },
      io,
    );
    // The feed polled every 10 s between closes (the forming bar), never slept for real.
    expect(sleeps.length).toBeGreaterThanOrEqual(10);
    expect(
      sleeps.filter((ms) => ms !== 10_000),
      lines.join('\n'),
    ).toEqual([]);

    const ledger = Ledger.open(ledgerPath);
    try {
      const cycles = ledger.cycles(runId);
      const woken = cycles.filter((c) => (c.record as { wokenBy?: unknown }).wokenBy !== undefined);
      // Exactly one wake (maxWakesPerBar 1), at the first poll after the crash: 35 s into the bar (45 s
      // if that poll failed on the network).
      expect(woken).toHaveLength(1);
      const asOf = woken[0]!.time;
      expect([35_000, 45_000]).toContain(asOf - (T0 + CRASH_BAR * MIN));
      const record = woken[0]!.record as {
        mode: string;
        modeReason: string;
        wokenBy: { by: string; reasons: string[]; barTime: number };
        messages: { type: string; sender: string }[];
        decision: { action: string };
      };
      expect(record.wokenBy).toMatchObject({ by: 'moon.critical', barTime: T0 + CRASH_BAR * MIN });
      expect(record.wokenBy.reasons.join('; ')).toMatch(/volatility spike|stop breached/);
      expect(record.mode).not.toBe('MONITOR_ONLY');
      expect(record.modeReason).toMatch(/critical update/);
      expect(record.messages).toContainEqual(expect.objectContaining({ type: 'moon.critical' }));
      // The two bars' scheduled cycles are there too, at their bar times.
      const scheduled = cycles.filter((c) => c !== woken[0]).map((c) => c.time);
      expect(scheduled.slice(-2)).toEqual([T0 + WARM * MIN, T0 + CRASH_BAR * MIN]);

      // The woken sell filled at once, at the forming bar's last price less slippage, capped at its low so far.
      const partial = candle(CRASH_BAR, asOf).map(Number);
      const [, , high, low, last] = partial as [number, number, number, number, number];
      const intrabar = ledger.orders(runId).filter((o) => o.id.endsWith('/intrabar'));
      expect(intrabar).toHaveLength(1);
      const order = intrabar[0]!;
      expect(order).toMatchObject({ side: 'sell', type: 'market', status: 'filled', placedAt: asOf });
      expect(order.reason).toMatch(/intrabar, woken by moon\.critical: /);
      expect(order.note).toMatch(/^intrabar fill \(moon\.critical: /);
      const fill = ledger.fills(runId).find((f) => f.id === order.id)!;
      expect(fill.time).toBe(asOf);
      const slipped = (last - 0.1 * (high - low)) * (1 - 5 / 1e4);
      expect(fill.price).toBeCloseTo(Math.min(last, Math.max(low, slipped)), 6);
      expect(fill.price).toBeGreaterThanOrEqual(low);
      expect(fill.price).toBeLessThanOrEqual(last);
      // The first bar's buy, due at the crash bar's open, was settled there before the woken cycle decided
      // (it sold what the account really held), and not again at the close.
      const buy = ledger.orders(runId).find((o) => o.placedAt === T0 + WARM * MIN && o.type === 'market')!;
      const bought = ledger.fills(runId).filter((f) => f.id === buy.id);
      expect(bought.map((f) => f.time)).toEqual([T0 + CRASH_BAR * MIN]);
      expect(fill.qty).toBeCloseTo(bought[0]!.qty, 9);
      // An intrabar commit adds no point to the equity curve: one per traded bar.
      expect(ledger.equityCurve(runId).map((p) => p.time)).toEqual([T0 + WARM * MIN, T0 + CRASH_BAR * MIN]);
      // The bar's final low is lower still: the fill used the range as it was at the wake.
      expect(Number(candle(CRASH_BAR, T0 + (CRASH_BAR + 1) * MIN)[3])).toBeLessThan(low);

      // `orrery audit`'s trail shows the decision as woken by moon.critical, with its order and fill.
      const trail = [...auditTrail({ ledger, gatewayLedger: null }, runId)];
      const line = trail.find((l) => l.type === 'decision' && l.time === asOf)!;
      expect(line.wokenBy).toMatchObject({ by: 'moon.critical', asOf });
      expect(line.orders).toEqual([
        expect.objectContaining({ id: order.id, fill: expect.objectContaining({ price: fill.price }) }),
      ]);
    } finally {
      ledger.close();
    }
    expect(lines.some((l) => /woken by moon\.critical/.test(l))).toBe(true);

    // `--resume` goes on from the last bar with the intrabar trade in the account, nothing twice.
    const fillsBefore = (() => {
      const l = Ledger.open(ledgerPath);
      try {
        return l.fills(runId).length;
      } finally {
        l.close();
      }
    })();
    await runLive(
      { ...base, resume: true, maxBars: 1, sleep: async (ms) => clock.advance(ms) },
      { ...io, err: () => undefined },
    );
    const after = Ledger.open(ledgerPath);
    try {
      expect(after.equityCurve(runId)).toHaveLength(3);
      expect(after.fills(runId).length).toBeGreaterThanOrEqual(fillsBefore);
      expect(after.cycles(runId).filter((c) => (c.record as { wokenBy?: unknown }).wokenBy)).toHaveLength(1);
      expect(after.getRun(runId)!.status).toBe('completed');
    } finally {
      after.close();
    }
  }, 180_000);
});
