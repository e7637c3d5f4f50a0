import { tempDir } from '@orrery/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EpisodicMemory, MemoryValidationError, NonFiniteFeatureError } from '../src/index.ts';
import { unit } from '../src/vectors.ts';
import { episode } from './support/episodes.ts';

const DIM = 6;
const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 });
const nonZeroVector = fc
  .array(finite, { minLength: DIM, maxLength: DIM })
  .filter((v) => v.some((x) => x !== 0));

describe('episodes (properties, SQLite only)', () => {
  const dir = tempDir('orrery-memory-props-');
  let memory: EpisodicMemory;
  beforeAll(async () => {
    memory = await EpisodicMemory.open({
      dbPath: `${dir.path}/m.db`,
      chroma: { mode: 'off' },
      dimension: DIM,
    });
  });
  afterAll(async () => {
    await memory.close();
    dir.remove();
  });

  it('names the first non-finite feature, wherever it is', async () => {
    await fc.assert(
      fc.asyncProperty(
        nonZeroVector,
        fc.nat(DIM - 1),
        fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
        async (vector, at, bad) => {
          const v = [...vector];
          v[at] = bad;
          const err = await memory.record(episode(v)).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(NonFiniteFeatureError);
          expect((err as NonFiniteFeatureError).field).toBe(`situation.vector[${at}]`);
        },
      ),
      { numRuns: 50 },
    );
    expect(memory.stats().episodes).toBe(0);
  });

  it('stores and reads back every valid episode exactly', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        nonZeroVector,
        fc.dictionary(
          // `__proto__` is refused, not valid (see the next property; a random seed found it dropped).
          fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== '__proto__'),
          fc.oneof(finite, fc.string({ maxLength: 20 })),
          { maxKeys: 4 },
        ),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.string({ maxLength: 100 }),
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        async (vector, fields, confidence, rationale, time) => {
          const id = `p${n++}`;
          const input = episode(vector, { id, time, confidence, rationale, situation: { vector, fields } });
          const stored = await memory.record(input);
          const back = memory.shortTerm.latest();
          expect(back).toEqual(stored);
          expect(stored.situation.vector).toEqual(vector);
          // Regression (seed 335521968): a field of -0 came back as 0; JSON has no negative zero.
          const noNegativeZero = Object.fromEntries(
            Object.entries(fields).map(([k, v]) => [k, v === 0 ? 0 : v]),
          );
          expect(stored.situation.fields).toEqual(noNegativeZero);
          expect(memory.pendingOutcomes(time + 3_600_000, 100_000).find((e) => e.id === id)).toEqual(stored);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses a field named __proto__ (zod would drop it silently), naming it; nothing is stored', async () => {
    const before = memory.stats().episodes;
    await fc.assert(
      fc.asyncProperty(
        nonZeroVector,
        fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), finite, { maxKeys: 3 }),
        finite,
        async (vector, others, value) => {
          const fields = { ...others };
          Object.defineProperty(fields, '__proto__', {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
          const err = await memory
            .record(episode(vector, { situation: { vector, fields } }))
            .catch((e: unknown) => e);
          expect(err).toBeInstanceOf(MemoryValidationError);
          expect((err as MemoryValidationError).field).toBe('situation.fields.__proto__');
        },
      ),
      { numRuns: 30 },
    );
    expect(memory.stats().episodes).toBe(before);
  });

  it('normalises any non-zero finite vector to unit length, even denormal or huge ones', () => {
    const any = fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), {
      minLength: 1,
      maxLength: 16,
    });
    fc.assert(
      fc.property(
        any.filter((v) => v.some((x) => x !== 0)),
        (v) => {
          const u = unit(v);
          expect(Math.hypot(...u)).toBeCloseTo(1, 12);
          u.forEach((x, i) => {
            if (x !== 0) expect(Math.sign(x)).toBe(Math.sign(v[i]!));
          });
        },
      ),
    );
  });
});
