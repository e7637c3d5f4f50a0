import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correlatedScales } from '../src/portfolio/correlated-cap.ts';
import { ReturnCorrelation } from '../src/portfolio/correlation.ts';

describe('correlated exposure cap', () => {
  const symbols = ['A', 'B', 'C', 'D', 'E', 'F'];
  const arb = fc.record({
    weights: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
    corr: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 15, maxLength: 15 }),
    threshold: fc.double({ min: 0, max: 1, noNaN: true }),
    cap: fc.double({ min: 0.01, max: 3, noNaN: true }),
  });

  it('no group of same-sign, correlated positions exceeds the cap; weights only shrink, signs kept', () => {
    fc.assert(
      fc.property(arb, ({ weights, corr, threshold, cap }) => {
        const targets = Object.fromEntries(symbols.map((s, i) => [s, weights[i]!]));
        const pair = (a: string, b: string): number => {
          if (a === b) return 1;
          const [i, j] = [symbols.indexOf(a), symbols.indexOf(b)].sort((x, y) => x - y) as [number, number];
          return corr[(i * (11 - i)) / 2 + (j - i - 1)]!;
        };
        const f = correlatedScales(targets, pair, threshold, cap);
        const after = Object.fromEntries(symbols.map((s) => [s, targets[s]! * f[s]!]));
        for (const s of symbols) {
          expect(f[s]).toBeGreaterThan(0);
          expect(f[s]).toBeLessThanOrEqual(1);
        }
        const groupOf = (i: string) =>
          symbols.filter(
            (j) =>
              targets[j] !== 0 &&
              Math.sign(targets[j]!) === Math.sign(targets[i]!) &&
              (j === i || pair(i, j) >= threshold),
          );
        for (const i of symbols) {
          if (targets[i] === 0) continue;
          const group = groupOf(i);
          const exposure = group.reduce((a, j) => a + Math.abs(after[j]!), 0);
          expect(exposure).toBeLessThanOrEqual(cap * (1 + 1e-12) + 1e-12);
          // nothing is scaled unless a group it belongs to was over the cap
          const over = (k: string) => groupOf(k).reduce((a, j) => a + Math.abs(targets[j]!), 0) > cap;
          if (!group.some(over)) expect(f[i]).toBe(1);
        }
      }),
    );
  });

  it('leaves uncorrelated positions alone', () => {
    const f = correlatedScales({ A: 0.8, B: 0.8 }, () => 0, 0.7, 1);
    expect(f).toEqual({ A: 1, B: 1 });
    const g = correlatedScales({ A: 0.8, B: 0.8 }, () => 0.9, 0.7, 1);
    expect(g.A).toBeCloseTo(1 / 1.6, 12);
    // opposite signs hedge each other: not one bet
    expect(correlatedScales({ A: 0.8, B: -0.8 }, () => 0.9, 0.7, 1)).toEqual({ A: 1, B: 1 });
  });
});

describe('ReturnCorrelation', () => {
  it('reads 1 for the same series, −1 for a mirrored one, near 0 for independent ones', () => {
    const c = new ReturnCorrelation(60);
    let a = 100;
    let b = 100;
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    };
    for (let t = 0; t < 400; t++) {
      const r = rand() * 0.02;
      a *= Math.exp(r);
      b *= Math.exp(rand() * 0.02);
      c.update({ A: a, A2: a, M: 100 * Math.exp(-Math.log(a / 100)), B: b });
    }
    expect(c.correlation('A', 'A2')).toBeCloseTo(1, 9);
    expect(c.correlation('A', 'M')).toBeCloseTo(-1, 9);
    expect(Math.abs(c.correlation('A', 'B')!)).toBeLessThan(0.4);
    expect(new ReturnCorrelation(60).correlation('A', 'B')).toBeNull();
  });
});
