import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assessExecution,
  assessRisk,
  createMoonBank,
  createSolarSystem,
  type MoonSnapshot,
  riskPlanet,
} from '../src/index.ts';
import { barsFromCloses, closesArb } from './helpers/bars.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { FLAT } from './helpers/system.ts';

/** Snapshots of one symbol over random closes. */
function snapshots(closes: readonly number[]): MoonSnapshot[] {
  const bank = createMoonBank({ symbol: 'X' });
  return barsFromCloses(closes).map((b) => bank.update(b));
}

describe('each planet has one job', () => {
  it('risk never votes on direction: signal 0, a multiplier in [0, 1], on any market', () => {
    fc.assert(
      fc.property(closesArb(2, 400), (closes) => {
        for (const s of snapshots(closes)) {
          const a = assessRisk({ snapshot: s });
          expect(a.signal).toBe(0);
          const m = a.data?.multiplier as number;
          expect(m).toBeGreaterThanOrEqual(0);
          expect(m).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('execution never sets direction: signal 0, and a bar with no trade is skipped', () => {
    fc.assert(
      fc.property(closesArb(2, 400), (closes) => {
        for (const s of snapshots(closes)) expect(assessExecution({ snapshot: s }).signal).toBe(0);
      }),
    );
    const s = snapshots(referenceBars().map((b) => b.close)).at(-1)!;
    const flat = { ...s, bar: { ...s.bar, open: 10, high: 10, low: 10, close: 10, volume: 0 } };
    expect(assessExecution({ snapshot: flat }).data?.skip).toBe(true);
  });

  it('a risk planet whose LLM answers −1 only shrinks the size, it never flips the position', async () => {
    const planet = riskPlanet();
    const s = snapshots(referenceBars().map((b) => b.close)).at(-1)!;
    const report = await planet.analyze(s);
    expect(report.signal).toBe(0);
    expect(report.role).toBe('risk');
  });

  it('in a whole run, risk and execution never change the sign of a decision; the forecast sets it', async () => {
    const bars = referenceBars();
    const sys = createSolarSystem({ gateway: null, config: { risk: { allowShort: true } } });
    let qty = 0;
    for (const bar of bars) {
      const portfolio = {
        equity: FLAT.equity,
        cash: FLAT.equity - qty * bar.close,
        positions: qty === 0 ? {} : { X: { qty, avgPrice: bar.close } },
      };
      const r = await sys.cycle({ symbol: 'X', bar, portfolio });
      const forecast = r.decision.forecast ?? 0;
      if (r.decision.action !== 'hold' && r.decision.targetFraction !== 0)
        expect(Math.sign(r.decision.targetFraction)).toBe(Math.sign(forecast));
      const risk = r.planets.find((p) => p.planet === 'risk')!;
      const execution = r.planets.find((p) => p.planet === 'execution')!;
      expect([risk.signal, execution.signal]).toEqual([0, 0]);
      qty = (r.decision.targetFraction * FLAT.equity) / bar.close;
    }
    await sys.stop();
  });
});
