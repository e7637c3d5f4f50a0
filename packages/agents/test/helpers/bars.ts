import fc from 'fast-check';
import type { Bar } from '../../src/index.ts';

/** Bars from a sequence of closes: a small deterministic range around each close. */
export function barsFromCloses(
  closes: readonly number[],
  start = Date.UTC(2024, 0, 1),
  stepMs = 86_400_000,
): Bar[] {
  return closes.map((close, i) => {
    const prev = i === 0 ? close : (closes[i - 1] as number);
    const high = Math.max(close, prev) * 1.004;
    const low = Math.min(close, prev) * 0.996;
    return { time: start + i * stepMs, open: prev, high, low, close, volume: 1000 + ((i * 37) % 500) };
  });
}

/** Arbitrary close series: a random walk of bounded log returns from a positive start. */
export const closesArb = (minLength: number, maxLength: number): fc.Arbitrary<number[]> =>
  fc
    .tuple(
      fc.double({ min: 10, max: 1000, noNaN: true }),
      fc.array(fc.double({ min: -0.08, max: 0.08, noNaN: true }), { minLength, maxLength }),
    )
    .map(([start, rets]) => {
      const out = [start];
      for (const r of rets) out.push((out[out.length - 1] as number) * Math.exp(r));
      return out;
    });
