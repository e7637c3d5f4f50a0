import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal values give equal text (hashes, equality, prompts). */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** SHA-256 (hex) of the stable JSON of a value. */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex');
}

/** JSON equality (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return stableStringify(a) === stableStringify(b);
}

/**
 * The value as it will be persisted and read back (`undefined` becomes `null`). Throws `TypeError` when
 * it is not JSON-serialisable (a BigInt, a cycle).
 */
export function toJson(value: unknown): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

/** The stable JSON of a value, cut to `max` characters (for prompts). */
export function preview(value: unknown, max = 2_000): string {
  const text = stableStringify(value);
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length - max} more characters)`;
}
