import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { type Bar, BUNDLED_DATASETS, loadCsvFile } from '@orrery/feeds';
import { freePort, tempDir } from '@orrery/testkit';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runPaper } from '../src/session/paper-run.ts';

const dir = tempDir('orrery-lookahead-');
afterAll(() => dir.remove());

const quietIO = (): CliIO => ({
  out: () => undefined,
  err: () => undefined,
  env: {},
  cwd: dir.path,
  isTTY: false,
  signal: new AbortController().signal,
});

const toCsv = (bars: readonly Bar[]) =>
  [
    'time,open,high,low,close,volume',
    ...bars.map((b) => `${b.time},${b.open},${b.high},${b.low},${b.close},${b.volume}`),
  ].join('\n');

/** Runs `orrery paper` in process on `bars` and returns what its ledger holds. */
async function paperRun(name: string, bars: readonly Bar[]) {
  const file = join(dir.path, `${name}.csv`);
  writeFileSync(file, toCsv(bars));
  const loaded = parseConfig(
    {
      memory: false,
      gateway: { routing: { localBaseUrl: `http://127.0.0.1:${await freePort()}/v1` } },
      run: { ledgerPath: join(dir.path, `${name}.db`), reportPath: join(dir.path, `${name}.html`) },
    },
    { source: 'test', baseDir: dir.path, env: {} },
  );
  // The rescaled futures jump ±60 % bar to bar: the loader would flag them as outliers and drop them,
  // which changes the bars-per-year it infers from the whole file. Kept, every bar of the future is used.
  await runPaper(
    { loaded, data: { source: file, symbol: 'SPY', outliers: 'keep' }, runId: 'r', progress: false },
    quietIO(),
  );
  const ledger = Ledger.open(join(dir.path, `${name}.db`));
  try {
    return {
      cycles: ledger.cycles('r').map((c) => {
        const r = c.record as Record<string, unknown>;
        const { stagesMs, ...deterministic } = r; // stage timings are wall-clock, everything else must match
        return { time: c.time, record: deterministic, portfolio: c.portfolio };
      }),
      orders: ledger.orders('r'),
      fills: ledger.fills('r'),
      equity: ledger.equityCurve('r'),
    };
  } finally {
    ledger.close();
  }
}

describe('look-ahead freedom', () => {
  const real = loadCsvFile(BUNDLED_DATASETS.spy.path, BUNDLED_DATASETS.spy.load).bars.filter(
    (b) => b.time >= Date.UTC(2003, 0, 1) && b.time < Date.UTC(2013, 0, 1),
  );

  it('changing every bar after T changes no decision, order or fill up to T', async () => {
    const base = await paperRun('base', real);
    expect(base.fills.length).toBeGreaterThan(10);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 100, max: real.length - 100 }),
        fc.array(fc.double({ min: 0.6, max: 1.6, noNaN: true }), { minLength: 64, maxLength: 64 }),
        async (cut, factors) => {
          const T = real[cut]!.time;
          // Every later bar rescaled (a different future), each bar still valid.
          const future = real.map((b, i) => {
            if (b.time <= T) return b;
            const f = factors[i % factors.length]!;
            return {
              ...b,
              open: b.open * f,
              high: b.high * f,
              low: b.low * f,
              close: b.close * f,
              volume: b.volume * 2,
            };
          });
          const alt = await paperRun(`alt${run++}`, future);
          const upTo = <X extends { time: number }>(xs: readonly X[]) => xs.filter((x) => x.time <= T);
          expect(upTo(alt.cycles)).toEqual(upTo(base.cycles));
          expect(upTo(alt.fills)).toEqual(upTo(base.fills));
          expect(upTo(alt.equity)).toEqual(upTo(base.equity));
          // Orders decided on or before T are identical, even those that fill after T.
          const placed = (os: typeof base.orders) =>
            os.filter((o) => o.placedAt <= T).map(({ status, filledQty, note, closedAt, ...order }) => order);
          expect(placed(alt.orders)).toEqual(placed(base.orders));
          // The future did change: what the agents saw after T differs.
          const after = (xs: typeof base.cycles) => xs.filter((c) => c.time > T);
          expect(after(alt.cycles)).not.toEqual(after(base.cycles));
        },
      ),
      { numRuns: 4, endOnFailure: true },
    );
  }, 900_000); // five paper runs of 2,500 bars: minutes when the machine is loaded (issue 18)
});
