import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Address,
  compilePattern,
  createMessage,
  decodeMessage,
  encodeMessage,
  InvalidAddressError,
  InvalidMessageError,
  isAddress,
  isValidated,
  ManualBusClock,
  MESSAGE_TYPES,
  parseMessage,
} from '../src/index.ts';
import { address, message, name } from './arbitraries.ts';

const normalise = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

function issuesOf(value: unknown): string[] {
  try {
    parseMessage(value);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidMessageError);
    return (e as InvalidMessageError).issues.map((i) => i.path.join('.'));
  }
  throw new Error('expected an InvalidMessageError');
}

describe('message catalogue', () => {
  it('has one discriminated type per kind of message', () => {
    expect(MESSAGE_TYPES).toEqual([
      'sun.directive',
      'planet.report',
      'moon.reading',
      'moon.critical',
      'broadcast.decree',
      'planet.lateral',
      'request',
      'reply',
      'error',
    ]);
  });

  it('accepts every valid envelope and survives the wire unchanged', () => {
    fc.assert(
      fc.property(message, (m) => {
        const parsed = parseMessage(m);
        expect(isValidated(parsed)).toBe(true);
        expect(Object.isFrozen(parsed.payload)).toBe(true);
        expect(decodeMessage(encodeMessage(parsed))).toEqual(normalise(parsed));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects an envelope missing any required field, naming the field', () => {
    const fields = ['id', 'time', 'sender', 'recipient', 'priority', 'correlationId', 'payload'] as const;
    fc.assert(
      fc.property(message, fc.constantFrom(...fields), (m, field) => {
        const broken: Record<string, unknown> = { ...m };
        delete broken[field];
        expect(issuesOf(broken)).toContain(field);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects out-of-range report figures and senders in the wrong role', () => {
    const ok = createMessage('planet.report', {
      sender: Address.planet('technical'),
      recipient: Address.sun,
      payload: { symbol: 'BTC-USD', signal: 0.2, confidence: 0.9, reasons: [] },
    });
    fc.assert(
      fc.property(
        fc.double({ noNaN: true }).filter((x) => x < -1 || x > 1),
        (signal) =>
          void expect(issuesOf({ ...ok, payload: { ...ok.payload, signal } })).toEqual(['payload.signal']),
      ),
    );
    expect(issuesOf({ ...ok, payload: { ...ok.payload, confidence: 1.01 } })).toEqual(['payload.confidence']);
    expect(issuesOf({ ...ok, sender: 'moon.rsi' })).toEqual(['sender']);
    expect(issuesOf({ ...ok, recipient: 'mars' })).toEqual(['recipient']);
    expect(issuesOf({ ...ok, priority: 'urgent' })).toEqual(['priority']);
    expect(issuesOf({ ...ok, type: 'planet.rumour' })).toEqual(['type']);
    expect(() => decodeMessage(new TextEncoder().encode('{oops'))).toThrow(/not JSON/);
  });

  it('fills id, time, priority and correlationId, and validates what it builds', () => {
    const clock = new ManualBusClock(1_000);
    const m = createMessage(
      'moon.critical',
      {
        sender: Address.moon('drawdown'),
        recipient: Address.sun,
        payload: { symbol: 'BTC-USD', metric: 'drawdown', value: 0.12, threshold: 0.1, reason: 'limit hit' },
      },
      { clock },
    );
    expect(m).toMatchObject({ time: 1_000, priority: 'critical', correlationId: m.id });
    expect(m.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(() =>
      createMessage('broadcast.decree', {
        sender: 'sun',
        recipient: 'planet.x' as 'broadcast',
        payload: { decision: {} },
      }),
    ).toThrow(InvalidMessageError);
  });
});

describe('addresses', () => {
  it('builds and recognises every valid address', () => {
    fc.assert(
      fc.property(name, (n) => {
        expect(Address.planet(n)).toBe(`planet.${n}`);
        expect(Address.parse(Address.moon(n))).toBe(`moon.${n}`);
        expect(Address.nameOf(Address.client(n))).toBe(n);
      }),
    );
    expect(isAddress('sun')).toBe(true);
    expect(isAddress('broadcast')).toBe(true);
  });

  it('refuses malformed names and addresses with a typed error', () => {
    for (const bad of ['', 'a.b', 'a b', '*', '>', 'x'.repeat(65)]) {
      expect(() => Address.planet(bad)).toThrow(InvalidAddressError);
    }
    for (const bad of ['mars', 'planet.', 'planet.a.b', 'Sun', 'moon.*']) {
      expect(() => Address.parse(bad)).toThrow(InvalidAddressError);
    }
    for (const bad of ['', 'planet..x', 'planet.>.x', 'planet.a b', '>>']) {
      expect(() => compilePattern(bad)).toThrow(InvalidAddressError);
    }
  });

  it('matches patterns with NATS semantics', () => {
    const natsRegex = (pattern: string) =>
      new RegExp(
        `^${pattern
          .split('.')
          .map((t) => (t === '*' ? '[^.]+' : t === '>' ? '.+' : t))
          .join('\\.')}$`,
      );
    const pattern = fc
      .array(fc.oneof(name, fc.constant('*'), fc.constantFrom('planet', 'moon', 'sun')), {
        minLength: 1,
        maxLength: 3,
      })
      .chain((ts) => fc.boolean().map((tail) => (tail ? [...ts, '>'] : ts).join('.')));
    fc.assert(
      fc.property(pattern, address, (p, a) => {
        expect(compilePattern(p).matches(a)).toBe(natsRegex(p).test(a));
      }),
      { numRuns: 500 },
    );
    expect(compilePattern('>').matches('planet.x')).toBe(true);
    expect(compilePattern('planet.*').matches('planet.x')).toBe(true);
    expect(compilePattern('planet.*').matches('moon.x')).toBe(false);
  });
});
