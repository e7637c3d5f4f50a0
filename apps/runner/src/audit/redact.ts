import { type GatewayConfig, gatewaySecrets, type Redact, secretRedactor } from '@orrery/core';

/** Strings up to this long are remembered with their redaction (keys and labels recur on every bar). */
const MEMO_MAX_LENGTH = 128;
/** Remembered strings at most; the memo starts over when full. */
const MEMO_MAX_ENTRIES = 20_000;

/** Environment variable names whose values are secrets (API keys, tokens, passwords). */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|AUTH)/i;

/**
 * Removes secrets from everything a run writes or exports: the values of secret-named environment
 * variables and of the gateway's provider keys (exactly, wherever they appear), and anything shaped like a
 * credential — core's `secretRedactor` and its shapes, so the recordings in gateway.db, the audit trail and
 * the exports redact the same things the same way.
 */
export class Redactor {
  readonly #redact: Redact;
  /** Short strings already redacted, and what they became: redaction is a pure function of the text. */
  readonly #memo = new Map<string, string>();

  constructor(secrets: Iterable<string | undefined>) {
    this.#redact = secretRedactor(secrets);
  }

  /** The secrets of an environment (values of secret-named variables) and of a gateway configuration. */
  static from(env: Readonly<Record<string, string | undefined>>, gateway?: GatewayConfig): Redactor {
    const fromEnv = Object.entries(env)
      .filter(([name]) => SECRET_NAME.test(name))
      .map(([, v]) => v?.trim());
    return new Redactor([...fromEnv, ...(gateway === undefined ? [] : gatewaySecrets(gateway))]);
  }

  /** `text` with every secret replaced by `[redacted]`. */
  text(text: string): string {
    return this.#redact(text);
  }

  /**
   * A deep copy of a JSON value with every string (keys included) redacted: what core's `redactDeep`
   * returns, with the short strings (keys, labels) redacted once and remembered, because a run redacts
   * every cycle record and its keys are the same on every bar.
   */
  value<T>(v: T): T {
    return this.#walk(v) as T;
  }

  #short(text: string): string {
    if (text.length > MEMO_MAX_LENGTH) return this.#redact(text);
    let out = this.#memo.get(text);
    if (out === undefined) {
      out = this.#redact(text);
      if (this.#memo.size >= MEMO_MAX_ENTRIES) this.#memo.clear();
      this.#memo.set(text, out);
    }
    return out;
  }

  #walk(v: unknown): unknown {
    if (typeof v === 'string') return this.#short(v);
    if (Array.isArray(v)) return v.map((x) => this.#walk(x));
    if (typeof v !== 'object' || v === null) return v;
    const out: Record<string, unknown> = {};
    const from = v as Record<string, unknown>;
    for (const key of Object.keys(from)) {
      const k = this.#short(key);
      const x = this.#walk(from[key]);
      // Defined, not assigned (as `Object.fromEntries` does): a key `__proto__` stays a key.
      if (k === '__proto__')
        Object.defineProperty(out, k, { value: x, writable: true, enumerable: true, configurable: true });
      else out[k] = x;
    }
    return out;
  }
}
