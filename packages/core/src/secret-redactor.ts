import type { GatewayConfig } from './config/schema.ts';

/** Replaces secrets in a text (by `[redacted]`); idempotent: redacting twice changes nothing more. */
export type Redact = (text: string) => string;

/** Configured secrets shorter than this are not replaced (replacing `a` everywhere would mangle every line). */
const MIN_SECRET = 6;

/**
 * Shapes of credentials replaced even when nobody configured them: bearer credentials, provider API keys
 * (`sk-…`, `sk-ant-…`, `sk-proj-…`), AWS access key ids, GitHub and Slack tokens, Google API keys, and
 * the value after a secret-named field (`"api_key": "…"`, `token=…`; a value with no letter, e.g. a count,
 * is kept). A shape is recognised as a word of its own (`xsk-…` is not a key). Each is a literal prefix
 * and one character class: linear to scan. None of them matches `[redacted]`, and none consumes a quote,
 * backslash, comma or bracket, so a JSON answer stays JSON.
 */
const SHAPES: readonly [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g, '[redacted]'],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, '[redacted]'],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, '[redacted]'],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/g, '[redacted]'],
  [/\bAIza[0-9A-Za-z_-]{35}/g, '[redacted]'],
  [
    /("?(?:api[_-]?key|x-api-key|authorization|password|secret|token)"?\s*[:=]\s*"?)(?=[^\s",}[\]\\]*[A-Za-z])[^\s",}[\]\\]{8,}/gi,
    '$1[redacted]',
  ],
];

/**
 * A {@link Redact} that replaces each of `secrets` wherever it appears (longest first, so a secret that
 * contains another goes whole), then everything shaped like a credential. `undefined` and short entries
 * are ignored.
 *
 * @example
 * const redact = secretRedactor([process.env.OPENAI_API_KEY]);
 * redact('my key is sk-proj-0123456789abcdefXYZ'); // 'my key is [redacted]'
 */
export function secretRedactor(secrets: Iterable<string | undefined>): Redact {
  const list = [...new Set(secrets)]
    .filter((s): s is string => s !== undefined && s.length >= MIN_SECRET)
    .sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join('[redacted]');
    for (const [re, by] of SHAPES) out = out.replace(re, by);
    return out;
  };
}

/** The secrets a gateway configuration holds: every provider's `apiKey`. */
export function gatewaySecrets(config: GatewayConfig): (string | undefined)[] {
  return Object.values(config.providers).map((p) => p.apiKey);
}

/** A deep copy of a JSON value with `redact` applied to every string in it (object keys included). */
export function redactDeep<T>(value: T, redact: Redact): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redact(v);
    if (Array.isArray(v)) return v.map(walk);
    // `fromEntries` defines properties, so a key `__proto__` stays a key.
    if (typeof v === 'object' && v !== null)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [redact(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
