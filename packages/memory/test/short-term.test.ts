import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryValidationError, ShortTermMemory } from '../src/index.ts';

describe('ShortTermMemory', () => {
  it('keeps the newest items, newest first, dropping the oldest when full', () => {
    const ring = new ShortTermMemory<number>(3);
    for (const n of [1, 2, 3, 4, 5]) ring.push(n);
    expect(ring.size).toBe(3);
    expect(ring.recent()).toEqual([5, 4, 3]);
    expect(ring.recent(2)).toEqual([5, 4]);
    expect(ring.latest()).toBe(5);
  });

  it('defaults to 1000 items and refuses a non-positive capacity', () => {
    expect(new ShortTermMemory().capacity).toBe(1000);
    expect(() => new ShortTermMemory(0)).toThrow(MemoryValidationError);
    expect(() => new ShortTermMemory(2.5)).toThrow(/shortTermSize/);
  });

  it('replaces an item in place and clears', () => {
    const ring = new ShortTermMemory<{ id: string; v: number }>(2);
    ring.push({ id: 'a', v: 1 });
    ring.push({ id: 'b', v: 1 });
    expect(ring.replace((x) => x.id === 'a', { id: 'a', v: 2 })).toBe(true);
    expect(ring.replace((x) => x.id === 'z', { id: 'z', v: 2 })).toBe(false);
    expect(ring.recent()).toEqual([
      { id: 'b', v: 1 },
      { id: 'a', v: 2 },
    ]);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.latest()).toBeUndefined();
  });

  it('always equals the tail of everything pushed (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer()), fc.nat(30), (cap, items, n) => {
        const ring = new ShortTermMemory<number>(cap);
        for (const x of items) ring.push(x);
        const tail = items.slice(-cap).reverse();
        expect(ring.recent()).toEqual(tail);
        expect(ring.recent(n)).toEqual(tail.slice(0, n));
      }),
    );
  });
});
