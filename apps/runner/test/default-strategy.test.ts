import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { orrery, writeTestConfig } from './support/paper-cli.ts';

const dirs: { remove(): void }[] = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});

/** Sharpe (per bar, not annualised: ratios of two series on the same bars need no factor) and max drawdown. */
function stats(values: readonly number[]): { sharpe: number; maxDrawdown: number } {
  const r: number[] = [];
  for (let i = 1; i < values.length; i++) r.push(values[i]! / values[i - 1]! - 1);
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const sd = Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / (r.length - 1));
  let peak = 0;
  let maxDrawdown = 0;
  for (const v of values) {
    peak = Math.max(peak, v);
    maxDrawdown = Math.max(maxDrawdown, 1 - v / peak);
  }
  return { sharpe: mean / sd, maxDrawdown };
}

/**
 * The default system, with no LLM and the default configuration, on the bundled real data: what the
 * decision core promises a user who runs `orrery paper` (computed here from the ledger, independently of
 * the project's own metrics code).
 */
describe('the default strategy is worth running', () => {
  for (const data of ['spy', 'btc']) {
    it(`${data}: exposure ≥ 30 %, Sharpe ≥ 0.9 × buy-and-hold's, max drawdown ≤ 0.6 × buy-and-hold's`, async () => {
      const d = tempDir('orrery-default-');
      dirs.push(d);
      const config = await writeTestConfig(d.path);
      const res = orrery(d.path, [
        'paper',
        '--data',
        data,
        '--no-memory',
        '--no-progress',
        '--config',
        config,
        '--run-id',
        data,
      ]);
      expect(res.stderr).not.toMatch(/^error/m);
      expect(res.status).toBe(0);
      const ledger = Ledger.open(join(d.path, '.orrery', 'ledger.db'));
      try {
        const cycles = ledger.cycles(data);
        let exposure = 0;
        const closes: number[] = [];
        for (const c of cycles) {
          const p = c.portfolio as { equity: number; positions: Record<string, { qty: number }> };
          const close = (c.record as { inputs: { bar: { close: number } } }).inputs.bar.close;
          closes.push(close);
          exposure += Math.abs((p.positions[c.symbol]?.qty ?? 0) * close) / p.equity;
        }
        exposure /= cycles.length;
        const run = stats([100_000, ...ledger.equityCurve(data).map((e) => e.equity)]);
        const hold = stats(closes);
        console.log(
          `${data}: exposure ${(exposure * 100).toFixed(1)} %, Sharpe ratio to buy-and-hold ${(run.sharpe / hold.sharpe).toFixed(2)}, ` +
            `max drawdown ${(run.maxDrawdown * 100).toFixed(1)} % vs ${(hold.maxDrawdown * 100).toFixed(1)} %`,
        );
        expect(exposure).toBeGreaterThanOrEqual(0.3);
        expect(run.sharpe).toBeGreaterThanOrEqual(0.9 * hold.sharpe);
        expect(run.maxDrawdown).toBeLessThanOrEqual(0.6 * hold.maxDrawdown);
      } finally {
        ledger.close();
      }
    }, 300_000);
  }
});
