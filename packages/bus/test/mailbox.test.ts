import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Mailbox,
  ManualBusClock,
  OverflowPolicy,
  PRIORITIES,
  type Priority,
  priorityRank,
} from '../src/index.ts';

type Item = { n: number; kind: 'reading' | 'directive'; p: Priority };
type Op = { op: 'push'; item: Item; policy: OverflowPolicy } | { op: 'shift' };

const kindOf = (i: Item) => i.kind;

/** The model: a plain array, served by a stable sort on priority. */
class Model {
  items: Item[] = [];
  constructor(readonly capacity: number) {}
  push(item: Item, policy: OverflowPolicy): string {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return 'queued';
    }
    if (policy !== 'drop-oldest') return policy === 'reject' ? 'rejected' : 'dropped';
    const i = this.items.findIndex((x) => x.kind === item.kind);
    if (i < 0) return 'dropped';
    this.items.splice(i, 1);
    this.items.push(item);
    return 'evicted';
  }
  shift(): Item | undefined {
    if (this.items.length === 0) return undefined;
    const best = Math.min(...this.items.map((i) => priorityRank(i.p)));
    const i = this.items.findIndex((x) => priorityRank(x.p) === best);
    return this.items.splice(i, 1)[0];
  }
}

const ops = (n: number) =>
  fc.array(
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({
          op: fc.constant('push' as const),
          item: fc.record({
            n: fc.constant(0),
            kind: fc.constantFrom('reading', 'directive'),
            p: fc.constantFrom(...PRIORITIES),
          }),
          policy: fc.constantFrom(...Object.values(OverflowPolicy)),
        }),
      },
      { weight: 1, arbitrary: fc.constant({ op: 'shift' as const }) },
    ),
    { maxLength: n },
  ) as fc.Arbitrary<Op[]>;

describe('Mailbox', () => {
  it('serves by priority, FIFO within one, and applies each overflow policy like the model', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), ops(120), (capacity, script) => {
        const box = new Mailbox<Item>(capacity, kindOf);
        const model = new Model(capacity);
        script.forEach((step, n) => {
          if (step.op === 'shift') {
            expect(box.shift()).toBe(model.shift());
          } else {
            const item = { ...step.item, n };
            const expected = model.push(item, step.policy);
            expect(box.push(item, item.p, step.policy).outcome).toBe(expected);
          }
          expect(box.size).toBe(model.items.length);
          expect(box.size).toBeLessThanOrEqual(capacity);
        });
        const rest = box.clear();
        const sorted = [...model.items].sort((a, b) => priorityRank(a.p) - priorityRank(b.p));
        expect(rest).toEqual(sorted);
      }),
      { numRuns: 500 },
    );
  });

  it('evicts the oldest of the same kind across priorities, and reports it', () => {
    const box = new Mailbox<Item>(3, kindOf);
    const a: Item = { n: 1, kind: 'reading', p: 'low' };
    const b: Item = { n: 2, kind: 'directive', p: 'critical' };
    const c: Item = { n: 3, kind: 'reading', p: 'high' };
    for (const i of [a, b, c]) box.push(i, i.p, 'drop-oldest');
    const d: Item = { n: 4, kind: 'reading', p: 'normal' };
    expect(box.push(d, d.p, 'drop-oldest')).toEqual({ outcome: 'evicted', evicted: a });
    expect(box.depths()).toEqual({ critical: 1, high: 1, normal: 1, low: 0 });
    expect(box.clear()).toEqual([b, c, d]);
  });

  it('stays O(1) amortised over long runs (compaction keeps order)', () => {
    const box = new Mailbox<number>(100_000, () => 'k');
    const out: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      box.push(i, 'normal', 'reject');
      if (i % 3 !== 0) out.push(box.shift() as number);
    }
    out.push(...(box.clear() as number[]));
    expect(out).toEqual(Array.from({ length: 50_000 }, (_, i) => i));
  });

  it('refuses a capacity below 1', () => {
    expect(() => new Mailbox(0, () => '')).toThrow(RangeError);
  });
});

describe('ManualBusClock', () => {
  it('fires due timers in time order inside advance, and never cancelled ones', () => {
    const clock = new ManualBusClock(0);
    const fired: string[] = [];
    clock.setTimer(30, () => fired.push(`b@${clock.now()}`));
    clock.setTimer(10, () => fired.push(`a@${clock.now()}`));
    const cancel = clock.setTimer(20, () => fired.push('never'));
    cancel();
    clock.advance(25);
    expect(fired).toEqual(['a@10']);
    clock.advance(5);
    expect(fired).toEqual(['a@10', 'b@30']);
    expect(clock.pendingTimers).toBe(0);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});
