import type { GatewayConfig } from '@orrery/core';

/** Environment variable names whose values are secrets (API keys, tokens, passwords). */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|AUTH)/i;
/** Shorter values are not treated as secrets (replacing `1` everywhere would mangle the export). */
const MIN_SECRET = 8;

/** Secret-looking text, whatever its source: bearer credentials and provider key formats. */
const PATTERNS: readonly [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g, '[redacted]'],
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, '[redacted]'],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, '[redacted]'],
  [
    /("?(?:api[_-]?key|x-api-key|authorization|password|secret|token)"?\s*[:=]\s*"?)[^\s",}]{8,}/gi,
    '$1[redacted]',
  ],
];

/**
 * Removes secrets from everything an export writes: the values of secret-named environment variables
 * and of the gateway's provider keys (exactly, wherever they appear), and anything shaped like a
 * credential (`Bearer …`, `sk-…` keys, `api_key=…`).
 */
export class Redactor {
  readonly #secrets: readonly string[];

  constructor(secrets: Iterable<string | undefined>) {
    const list = [...secrets].filter((s): s is string => s !== undefined && s.length >= MIN_SECRET);
    // Longest first, so a secret that contains another is replaced whole.
    this.#secrets = [...new Set(list)].sort((a, b) => b.length - a.length);
  }

  /** The secrets of an environment (values of secret-named variables) and of a gateway configuration. */
  static from(env: Readonly<Record<string, string | undefined>>, gateway?: GatewayConfig): Redactor {
    const fromEnv = Object.entries(env)
      .filter(([name]) => SECRET_NAME.test(name))
      .map(([, v]) => v?.trim());
    const keys = gateway === undefined ? [] : Object.values(gateway.providers).map((p) => p.apiKey);
    return new Redactor([...fromEnv, ...keys]);
  }

  /** `text` with every secret replaced by `[redacted]`. */
  text(text: string): string {
    let out = text;
    for (const s of this.#secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    for (const [re, by] of PATTERNS) out = out.replace(re, by);
    return out;
  }

  /** A deep copy of a JSON value with every string (keys included) redacted. */
  value<T>(v: T): T {
    if (typeof v === 'string') return this.text(v) as T;
    if (Array.isArray(v)) return v.map((x) => this.value(x)) as T;
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[this.text(k)] = this.value(x);
      return out as T;
    }
    return v;
  }
}
