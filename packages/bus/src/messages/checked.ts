import { randomUUID } from 'node:crypto';
import { isAddress } from '../address.ts';
import type { BroadcastDecree, Message, MessageType, MoonCritical, MoonReading } from './catalogue.ts';
import { type CreateOptions, createMessage, DEFAULT_PRIORITY, type MessageInit } from './create.ts';
import type { JsonRecord } from './envelope.ts';
import { PRIORITIES } from './priority.ts';
import { sealChecked } from './validate.ts';

// Builders for the messages a cycle sends on every bar (`moon.reading`, `moon.critical`,
// `broadcast.decree`). They check the catalogue's bounds by hand instead of running the zod schema
// (a reading with its feature vector costs ~20 µs through zod and a deep freeze, a few µs here) and fall back to
// `createMessage` on anything they do not accept, so they never accept what the schema rejects and a
// rejection is the same `InvalidMessageError`. The bus validates whatever arrives from another process
// as before; a property test holds these builders to `createMessage`.

const isStr = (v: unknown, min: number, max: number): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max;
const isFiniteNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isTime = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' &&
  v !== null &&
  Object.getPrototypeOf(v) === Object.prototype &&
  !Object.hasOwn(v, '__proto__');
const inRole = (v: unknown, prefix: string): boolean =>
  isAddress(v) && (v === prefix || v.startsWith(`${prefix}.`));

type Envelope = {
  id: string;
  time: number;
  sender: string;
  recipient: string;
  priority: string;
  correlationId: string;
};

/** The envelope `createMessage` would fill in, or null when a field breaks the catalogue. */
function envelope(
  type: MessageType,
  init: Partial<Envelope>,
  opts: CreateOptions,
  sender: string,
  recipient: string | null,
): Envelope | null {
  const id = init.id ?? randomUUID();
  const time = init.time ?? (opts.clock === undefined ? Date.now() : opts.clock.now());
  const priority = init.priority ?? DEFAULT_PRIORITY[type];
  const correlationId = init.correlationId ?? id;
  const ok =
    isStr(id, 1, 128) &&
    isTime(time) &&
    inRole(init.sender, sender) &&
    (recipient === null ? isAddress(init.recipient) : inRole(init.recipient, recipient)) &&
    (PRIORITIES as readonly unknown[]).includes(priority) &&
    isStr(correlationId, 1, 128);
  if (!ok) return null;
  return {
    id,
    time,
    sender: init.sender as string,
    recipient: init.recipient as string,
    priority,
    correlationId,
  };
}

/**
 * The message of `env`, `type` and `payload`, sealed, with its keys in `createMessage`'s order. Written
 * out as one literal: V8 freezes an object made by spreading (`{ ...env, type, payload }`) some 20 times
 * slower than a literal (~8 µs against ~0.4 µs per message), which was most of a reading's cost.
 */
function sealed<M extends Message>(env: Envelope, type: M['type'], payload: object): M {
  return sealChecked({
    id: env.id,
    time: env.time,
    sender: env.sender,
    recipient: env.recipient,
    priority: env.priority,
    correlationId: env.correlationId,
    type,
    payload: Object.freeze(payload),
  } as unknown as M);
}

/**
 * The record itself, frozen, when it is a plain record of finite numbers; else null. Not copied: a
 * feature vector has tens of keys and copying it costs as much as the rest of the message.
 */
function finiteRecord(v: unknown): Record<string, number> | null {
  if (!isPlain(v) || Object.getOwnPropertySymbols(v).length > 0) return null;
  for (const k of Object.keys(v)) if (!isFiniteNum(v[k])) return null;
  return Object.freeze(v as Record<string, number>);
}

/** A frozen copy of a JSON value (finite numbers, plain objects), or undefined when it is not one. */
function jsonCopy(v: unknown, depth = 0): unknown {
  if (depth > 64) return undefined;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? v : undefined;
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) {
        const out: unknown[] = [];
        for (const x of v) {
          const c = jsonCopy(x, depth + 1);
          if (c === undefined) return undefined;
          out.push(c);
        }
        return Object.freeze(out);
      }
      if (!isPlain(v)) return undefined;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const c = jsonCopy(v[k], depth + 1);
        if (c === undefined) return undefined;
        out[k] = c;
      }
      return Object.freeze(out);
    }
    default:
      return undefined;
  }
}

/**
 * Builds, checks and freezes a `moon.reading`, like `createMessage('moon.reading', …)`, except that
 * `payload.features` is frozen in place and becomes the message's (hand it a record of its own).
 * @throws InvalidMessageError when a field breaks the catalogue (e.g. a symbol over 64 characters).
 */
export function createMoonReading(init: MessageInit<'moon.reading'>, opts: CreateOptions = {}): MoonReading {
  const env = envelope('moon.reading', init, opts, 'moon', null);
  const p = init.payload as Partial<MoonReading['payload']> | undefined;
  if (
    env !== null &&
    isPlain(p) &&
    isStr(p.symbol, 1, 64) &&
    isStr(p.metric, 1, 128) &&
    isFiniteNum(p.value)
  ) {
    const features = p.features === undefined ? undefined : finiteRecord(p.features);
    if ((p.barTime === undefined || isTime(p.barTime)) && features !== null) {
      const payload: MoonReading['payload'] = { symbol: p.symbol, metric: p.metric, value: p.value };
      if (p.barTime !== undefined) payload.barTime = p.barTime;
      if (features !== undefined) payload.features = features;
      return sealed<MoonReading>(env, 'moon.reading', payload);
    }
  }
  return createMessage('moon.reading', init, opts);
}

/**
 * Builds, checks and freezes a `moon.critical`, like `createMessage('moon.critical', …)`.
 * @throws InvalidMessageError when a field breaks the catalogue.
 */
export function createMoonCritical(
  init: MessageInit<'moon.critical'>,
  opts: CreateOptions = {},
): MoonCritical {
  const env = envelope('moon.critical', init, opts, 'moon', null);
  const p = init.payload as Partial<MoonCritical['payload']> | undefined;
  if (
    env !== null &&
    isPlain(p) &&
    isStr(p.symbol, 1, 64) &&
    isStr(p.metric, 1, 128) &&
    isFiniteNum(p.value) &&
    (p.threshold === undefined || isFiniteNum(p.threshold)) &&
    isStr(p.reason, 1, 2000)
  ) {
    // The schema's key order (threshold before reason), as `createMessage` writes it.
    const payload: MoonCritical['payload'] =
      p.threshold === undefined
        ? { symbol: p.symbol, metric: p.metric, value: p.value, reason: p.reason }
        : { symbol: p.symbol, metric: p.metric, value: p.value, threshold: p.threshold, reason: p.reason };
    return sealed<MoonCritical>(env, 'moon.critical', payload);
  }
  return createMessage('moon.critical', init, opts);
}

/**
 * Builds, checks and freezes a `broadcast.decree`, like `createMessage('broadcast.decree', …)`; the
 * decision is copied (the caller's object is not frozen).
 * @throws InvalidMessageError when a field breaks the catalogue (e.g. a non-finite number in the decision).
 */
export function createDecree(
  init: MessageInit<'broadcast.decree'>,
  opts: CreateOptions = {},
): BroadcastDecree {
  const env = envelope('broadcast.decree', init, opts, 'sun', 'broadcast');
  const p = init.payload as Partial<BroadcastDecree['payload']> | undefined;
  if (
    env !== null &&
    isPlain(p) &&
    isPlain(p.decision) &&
    (p.symbol === undefined || isStr(p.symbol, 1, 64)) &&
    (p.reason === undefined || isStr(p.reason, 0, 2000))
  ) {
    const decision = jsonCopy(p.decision) as JsonRecord | undefined;
    if (decision !== undefined) {
      const payload: BroadcastDecree['payload'] = { decision };
      if (p.symbol !== undefined) payload.symbol = p.symbol;
      if (p.reason !== undefined) payload.reason = p.reason;
      return sealed<BroadcastDecree>(env, 'broadcast.decree', payload);
    }
  }
  return createMessage('broadcast.decree', init, opts);
}
