import { InvalidMessageError } from '../errors.ts';
import { type Message, messageSchema } from './catalogue.ts';

// Marks messages that passed the schema once. They are deep-frozen, so they cannot have changed since:
// publishing one again costs a property read instead of a parse. The symbol is private to this module,
// non-enumerable (JSON and spreads drop it: a spread copy is validated afresh).
const kChecked = Symbol('orrery.bus.validated');

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/**
 * Validates any value against the catalogue and returns a deep-frozen copy (unknown keys removed).
 * @throws InvalidMessageError listing where the value broke the schema.
 */
export function parseMessage(value: unknown): Message {
  if (isValidated(value)) return value;
  const result = messageSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path, message: i.message }));
    const type =
      typeof value === 'object' && value !== null && 'type' in value ? String(value.type) : 'unknown';
    const where = issues
      .slice(0, 3)
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new InvalidMessageError(`invalid ${type} message: ${where}`, { issues, cause: result.error });
  }
  Object.defineProperty(result.data, kChecked, { value: true });
  return deepFreeze(result.data);
}

/**
 * Marks a message that a builder checked against the catalogue by hand (see `checked.ts`) as validated
 * and freezes it. The builder has frozen every object below it (it knows their shape; walking them
 * costs more than building them). Internal to the package: not exported.
 */
export function sealChecked<T extends Message>(message: T): T {
  Object.defineProperty(message, kChecked, { value: true });
  return Object.freeze(message);
}

/** True when `value` is a message this process already validated (and froze). */
export function isValidated(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && (value as { [kChecked]?: true })[kChecked] === true;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Decodes a message received from another process (UTF-8 JSON) and validates it.
 * @throws InvalidMessageError when the bytes are not JSON or not a catalogue message.
 */
export function decodeMessage(bytes: Uint8Array): Message {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    throw new InvalidMessageError(`message is not JSON (${bytes.length} bytes)`, { cause: err });
  }
  return parseMessage(value);
}

/** Encodes a message as UTF-8 JSON for the wire. */
export function encodeMessage(message: Message): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}
