import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createDecree,
  createMessage,
  createMoonCritical,
  createMoonReading,
  InvalidMessageError,
  isValidated,
  PRIORITIES,
} from '../src/index.ts';
import { address } from './arbitraries.ts';

/** What a builder did: the message, or the error's class and text. */
function outcome(build: () => unknown): { ok: unknown } | { error: string } {
  try {
    return { ok: build() };
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidMessageError);
    return { error: (e as Error).message };
  }
}

function deeplyFrozen(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return true;
  return Object.isFrozen(v) && Object.values(v).every(deeplyFrozen);
}

// Mostly valid values, each field breaking a bound now and then (so the fast path is taken often and
// every way out of it is tried).
const mostly = <T, U>(valid: fc.Arbitrary<T>, edge: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: edge, weight: 1 });
const text = (max: number) =>
  mostly(
    fc.oneof(fc.string({ minLength: 1, maxLength: 4 }), fc.string({ minLength: max - 1, maxLength: max })),
    fc.oneof(fc.constant(''), fc.string({ minLength: max + 1, maxLength: max + 2 }), fc.integer()),
  );
const num = mostly(
  fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(-0, 2 ** 53)),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '1'),
);
const time = mostly(
  fc.oneof(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.constant(2 ** 53 - 1)),
  fc.constantFrom(-1, 1.5, Number.NaN, 2 ** 53),
);
const moonSender = mostly(
  address.filter((a) => a.startsWith('moon.')),
  fc.oneof(address, fc.constantFrom('moon', 'moon.', 'moon.a b', ''), fc.string()),
);
const priority = mostly(fc.constantFrom(...PRIORITIES), fc.constantFrom('urgent', ''));
const id = mostly(fc.uuid(), fc.oneof(fc.constant(''), fc.string({ minLength: 129, maxLength: 130 })));
const envelope = fc.record({ id, time, priority, correlationId: id }, { requiredKeys: ['id', 'time'] });
const features = mostly(
  fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), num, { maxKeys: 30 }),
  fc.constantFrom(null, [], [1, 2], 'x'),
);
const json = fc.jsonValue({ maxDepth: 3 });
const decision = mostly(
  fc.oneof(
    fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 8 }),
    fc.record({
      action: fc.constant('buy'),
      nested: fc.record({ x: num, list: fc.array(num, { maxLength: 3 }) }),
    }),
  ),
  fc.oneof(
    fc.constantFrom(null, [], 'x'),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.constantFrom(undefined, Number.NaN), { minKeys: 1 }),
  ),
);

/** Runs `fast` and `createMessage` on equal inputs and asserts they agree. */
function agree(fast: () => unknown, slow: () => unknown): void {
  const want = outcome(slow);
  const got = outcome(fast);
  if ('error' in want) {
    expect(got).toEqual(want);
    return;
  }
  expect(got).toEqual(want);
  const m = (got as { ok: unknown }).ok;
  // The same bytes on the wire: keys in createMessage's order.
  expect(JSON.stringify(m)).toBe(JSON.stringify((want as { ok: unknown }).ok));
  expect(isValidated(m)).toBe(true);
  expect(deeplyFrozen(m)).toBe(true);
}

describe('checked builders agree with createMessage', () => {
  it('moon.reading: the same message, or the same InvalidMessageError, for values around every bound', () => {
    fc.assert(
      fc.property(
        envelope,
        moonSender,
        mostly(address, fc.constant('nowhere')),
        fc.record(
          { symbol: text(64), metric: text(128), value: num, barTime: time, features },
          { requiredKeys: ['symbol', 'metric', 'value'] },
        ),
        (env, from, to, payload) => {
          const init = () => ({ ...env, sender: from, recipient: to, payload: structuredClone(payload) });
          agree(
            () => createMoonReading(init() as never),
            () => createMessage('moon.reading', init() as never),
          );
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('moon.critical: the same message, or the same InvalidMessageError', () => {
    fc.assert(
      fc.property(
        envelope,
        moonSender,
        fc.record(
          { symbol: text(64), metric: text(128), value: num, threshold: num, reason: text(2000) },
          { requiredKeys: ['symbol', 'metric', 'value', 'reason'] },
        ),
        (env, from, payload) => {
          const init = () => ({ ...env, sender: from, recipient: 'sun', payload: { ...payload } });
          agree(
            () => createMoonCritical(init() as never),
            () => createMessage('moon.critical', init() as never),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('broadcast.decree: the same message, or the same InvalidMessageError; the decision is copied, not frozen', () => {
    fc.assert(
      fc.property(
        envelope,
        mostly(fc.constant('sun'), fc.oneof(address, fc.constant('sun.x'))),
        mostly(fc.constant('broadcast'), address),
        fc.record({ decision, symbol: text(64), reason: text(2000) }, { requiredKeys: ['decision'] }),
        (env, from, to, payload) => {
          const mine = structuredClone(payload);
          const init = (p: typeof payload) => ({ ...env, sender: from, recipient: to, payload: p });
          agree(
            () => createDecree(init(mine) as never),
            () => createMessage('broadcast.decree', init(structuredClone(payload)) as never),
          );
          if (typeof mine.decision === 'object' && mine.decision !== null) {
            expect(Object.isFrozen(mine.decision)).toBe(false);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("a reading's feature record becomes the message's, frozen in place", () => {
    const features = { rsi: 55, atrPct: 0.02 };
    const m = createMoonReading({
      sender: 'moon.change',
      recipient: 'sun',
      payload: { symbol: 'SPX', metric: 'material-change', value: 0, features },
    });
    expect(m.payload.features).toBe(features);
    expect(Object.isFrozen(features)).toBe(true);
    expect(m.time).toBeGreaterThan(0);
    expect(m.correlationId).toBe(m.id);
    expect(m.priority).toBe('low');
  });
});
