import fc from 'fast-check';
import { type Address, type Message, PRIORITIES } from '../src/index.ts';

/** A valid address name. */
export const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const planet = name.map((n) => `planet.${n}` as const);
const moon = name.map((n) => `moon.${n}` as const);
/** Any valid address. */
export const address: fc.Arbitrary<Address> = fc.oneof(
  fc.constant('sun' as const),
  fc.constant('broadcast' as const),
  planet,
  moon,
  name.map((n) => `client.${n}` as const),
);
const json = fc.jsonValue({ maxDepth: 3 });
const record = fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 4 });
const symbol = fc.string({ minLength: 1, maxLength: 12 });
const text = fc.string({ minLength: 1, maxLength: 40 });
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const id = fc.uuid();

const envelope = fc.record({
  id,
  time: fc.integer({ min: 0, max: 4_102_444_800_000 }),
  sender: address,
  recipient: address,
  priority: fc.constantFrom(...PRIORITIES),
  correlationId: id,
});

/** Any valid message of the catalogue. */
export const message: fc.Arbitrary<Message> = fc.oneof(
  fc
    .tuple(envelope, fc.record({ task: text, symbol, params: record }, { requiredKeys: ['task'] }))
    .map(([e, payload]) => ({ ...e, type: 'sun.directive', sender: 'sun', payload })),
  fc
    .tuple(
      envelope,
      planet,
      fc.record({
        symbol,
        signal: fc.double({ min: -1, max: 1, noNaN: true }),
        confidence: fc.double({ min: 0, max: 1, noNaN: true }),
        reasons: fc.array(fc.string({ maxLength: 30 }), { maxLength: 4 }),
      }),
    )
    .map(([e, sender, payload]) => ({ ...e, type: 'planet.report', sender, payload })),
  fc
    .tuple(envelope, moon, fc.record({ symbol, metric: text, value: finite }))
    .map(([e, sender, payload]) => ({ ...e, type: 'moon.reading', sender, payload })),
  fc
    .tuple(envelope, moon, fc.record({ symbol, metric: text, value: finite, reason: text }))
    .map(([e, sender, payload]) => ({ ...e, type: 'moon.critical', sender, payload })),
  fc
    .tuple(envelope, fc.record({ decision: record, reason: fc.string({ maxLength: 40 }) }))
    .map(([e, payload]) => ({
      ...e,
      type: 'broadcast.decree',
      sender: 'sun',
      recipient: 'broadcast',
      payload,
    })),
  fc
    .tuple(envelope, planet, planet, fc.record({ topic: text, body: json }))
    .map(([e, sender, recipient, payload]) => ({ ...e, type: 'planet.lateral', sender, recipient, payload })),
  fc
    .tuple(envelope, fc.record({ topic: text, body: json }))
    .map(([e, payload]) => ({ ...e, type: 'request', payload })),
  fc.tuple(envelope, fc.record({ body: json })).map(([e, payload]) => ({ ...e, type: 'reply', payload })),
  fc
    .tuple(envelope, fc.record({ code: text, message: fc.string({ maxLength: 40 }) }))
    .map(([e, payload]) => ({ ...e, type: 'error', payload })),
) as fc.Arbitrary<Message>;
