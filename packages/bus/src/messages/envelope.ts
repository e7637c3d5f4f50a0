import { z } from 'zod';
import { type Address, isAddress } from '../address.ts';
import { prioritySchema } from './priority.ts';

/** Any JSON value: what a generic body or a decision record may hold. */
export const jsonSchema = z.json();

/** A JSON value (string, number, boolean, null, array or object of JSON values). */
export type Json = z.infer<typeof jsonSchema>;

/** A JSON object with string keys: parameters, decisions, extra data. */
export const jsonRecordSchema = z.record(z.string(), jsonSchema);

/** A JSON object with string keys. */
export type JsonRecord = z.infer<typeof jsonRecordSchema>;

function role<A extends Address>(prefix: string, what: string) {
  return z.custom<A>((v) => isAddress(v) && (v === prefix || v.startsWith(`${prefix}.`)), {
    message: `expected ${what}`,
  });
}

/** Schema of any {@link Address}. */
export const addressSchema = z.custom<Address>(isAddress, {
  message: 'expected an address: sun, broadcast, planet.<name>, moon.<name> or client.<name>',
});
/** Schema of the sun's address. */
export const sunAddressSchema = role<'sun'>('sun', 'the sun');
/** Schema of a planet's address. */
export const planetAddressSchema = role<`planet.${string}`>('planet', 'a planet address (planet.<name>)');
/** Schema of a moon's address. */
export const moonAddressSchema = role<`moon.${string}`>('moon', 'a moon address (moon.<name>)');
/** Schema of the broadcast address. */
export const broadcastAddressSchema = role<'broadcast'>('broadcast', 'the broadcast address');

const idSchema = z.string().min(1).max(128);

/**
 * The fields every message carries. `time` is epoch milliseconds when the message was created;
 * `correlationId` ties a reply, an error or a follow-up to the message that caused it (a fresh message
 * correlates with itself).
 */
export const envelopeShape = {
  id: idSchema,
  time: z.number().int().nonnegative(),
  sender: addressSchema,
  recipient: addressSchema,
  priority: prioritySchema,
  correlationId: idSchema,
};
