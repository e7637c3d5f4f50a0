import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  applyMapping,
  decisionFallback,
  decisionSchema,
  evaluateCondition,
  heuristicMapping,
  type RecoverySituation,
  recoveryFallback,
} from '../src/index.ts';

describe('deterministic fallbacks', () => {
  const situation: RecoverySituation = {
    stepId: 's',
    agent: 'a',
    agentDescription: '',
    error: { code: 'E', message: 'm' },
    retryAllowed: true,
    minDelayMs: 0,
    maxDelayMs: 1_000,
    alternatives: ['b', 'c'],
    cachedAvailable: true,
    input: {},
  };

  it('recovery: cached value, else the first alternative, else give up — never a retry', () => {
    expect(recoveryFallback(situation)).toEqual({ action: 'cached' });
    expect(recoveryFallback({ ...situation, cachedAvailable: false })).toEqual({
      action: 'alternative',
      agent: 'b',
    });
    expect(recoveryFallback({ ...situation, cachedAvailable: false, alternatives: [] })).toEqual({
      action: 'give_up',
    });
  });

  it('decision: the default when valid, else the first valid branch, else the default', () => {
    const d = decisionSchema.parse({
      question: 'q',
      branches: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
      default: 'c',
    });
    expect(decisionFallback(d, ['a', 'c'])).toBe('c');
    expect(decisionFallback(d, ['b', 'a'])).toBe('b');
    expect(decisionFallback(d, [])).toBe('c');
    expect(decisionFallback({ ...d, default: undefined }, [])).toBeUndefined();
  });

  it('conditions compare JSON values and numbers', () => {
    const lookup = (from: string) => ({ 'x.n': 5, 'x.o': { a: 1, b: [2] }, 'x.s': 'up' })[from];
    const t = (from: string, op: string, value?: unknown) =>
      evaluateCondition({ from, op: op as 'eq', ...(value === undefined ? {} : { value }) }, lookup);
    expect(t('x.n', 'gt', 4)).toBe(true);
    expect(t('x.n', 'lte', 4)).toBe(false);
    expect(t('x.s', 'gt', 4)).toBe(false);
    expect(t('x.o', 'eq', { b: [2], a: 1 })).toBe(true);
    expect(t('x.s', 'in', ['down', 'up'])).toBe(true);
    expect(t('x.s', 'ne', 'up')).toBe(false);
    expect(t('x.missing', 'exists')).toBe(false);
    expect(t('x.n', 'exists')).toBe(true);
  });
});

describe('field mapping', () => {
  const schema = z.object({ price: z.number(), symbol: z.string(), open_interest: z.number() });

  it('applies moves, coercions and an unwrap of the whole value', () => {
    const actual = { data: { Px: '1.5', sym: 'BTC' }, oi: 7 };
    const mapped = applyMapping(actual, [
      { from: 'data', to: '' },
      { from: 'data.Px', to: 'price', coerce: 'number' },
      { from: 'data.sym', to: 'symbol' },
      { from: 'oi', to: 'open_interest' },
    ]);
    expect(schema.parse(mapped)).toEqual({ price: 1.5, symbol: 'BTC', open_interest: 7 });
    expect(actual.data.Px).toBe('1.5');
  });

  it('the heuristic finds fields whose names differ only in case and separators, also inside one wrapper', () => {
    const actual = { result: { PRICE: '101.5', Symbol: 'ETH', 'Open-Interest': 3 } };
    expect(schema.parse(applyMapping(actual, heuristicMapping(actual, schema)))).toEqual({
      price: 101.5,
      symbol: 'ETH',
      open_interest: 3,
    });
  });

  it('property: any re-casing and re-separating of the expected keys is mapped back', () => {
    const variant = (k: string) =>
      fc
        .tuple(
          fc.array(fc.boolean(), { minLength: k.length, maxLength: k.length }),
          fc.constantFrom('_', '-', ''),
        )
        .map(([upper, sep]) =>
          [...k.replace(/_/g, sep)].map((ch, i) => (upper[i] === true ? ch.toUpperCase() : ch)).join(''),
        );
    fc.assert(
      fc.property(
        fc.tuple(variant('price'), variant('symbol'), variant('open_interest')),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.string(),
        fc.integer(),
        ([p, s, oi], price, symbol, interest) => {
          const actual = { [p]: price, [s]: symbol, [oi]: interest };
          expect(schema.parse(applyMapping(actual, heuristicMapping(actual, schema)))).toEqual({
            price,
            symbol,
            open_interest: interest,
          });
        },
      ),
    );
  });
});
