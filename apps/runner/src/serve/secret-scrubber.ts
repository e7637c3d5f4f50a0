import type { GatewayConfig, LLMResponse } from '@orrery/core';

/** Secrets shorter than this are not scrubbed (replacing `a` everywhere would mangle every line). */
const MIN_SECRET = 6;

/**
 * Shapes of credentials that must not leave the server even when nobody configured them here: provider
 * API keys (`sk-…`, Orrery's `sk-orrery-…` included), AWS access key ids, GitHub and Slack tokens,
 * Google API keys. Each is a literal prefix and one character class: linear to scan.
 */
const SECRET_SHAPES =
  /\bsk-[A-Za-z0-9_-]{20,}|\bAKIA[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{30,}|\bxox[abprs]-[A-Za-z0-9-]{10,}|\bAIza[0-9A-Za-z_-]{35}/g;

/**
 * Replaces known secrets (provider API keys, the server's token) by `[redacted]` in text leaving the
 * process — log lines and error messages — as a second line of defence behind core's own redaction.
 */
export class SecretScrubber {
  readonly #secrets: readonly string[];

  constructor(secrets: Iterable<string | undefined>) {
    const list = [...secrets].filter((s): s is string => s !== undefined && s.length >= MIN_SECRET);
    // Longest first, so a secret containing another is replaced whole.
    this.#secrets = [...new Set(list)].sort((a, b) => b.length - a.length);
  }

  /** The secrets of a gateway configuration (every provider's `apiKey`) plus `extra`. */
  static forGateway(config: GatewayConfig, extra: readonly (string | undefined)[] = []): SecretScrubber {
    return new SecretScrubber([...Object.values(config.providers).map((p) => p.apiKey), ...extra]);
  }

  /** `text` with every secret replaced. */
  scrub(text: string): string {
    let out = text;
    for (const s of this.#secrets) if (out.includes(s)) out = out.split(s).join('[redacted]');
    return out;
  }

  /** Whether a configured secret contains whitespace (then text cut at whitespace could split it). */
  hasSpacedSecret(): boolean {
    return this.#secrets.some((s) => /\s/.test(s));
  }

  /** An LLM answer's text with every known secret and everything shaped like a credential replaced. */
  scrubAnswer(text: string): string {
    return this.scrub(text).replace(SECRET_SHAPES, '[redacted]');
  }

  /** A JSON value with {@link scrubAnswer} applied to every string in it (keys included). */
  scrubDeep<T>(value: T): T {
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.scrubAnswer(v);
      if (Array.isArray(v)) return v.map(walk);
      if (typeof v === 'object' && v !== null) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[this.scrubAnswer(k)] = walk(x);
        return out;
      }
      return v;
    };
    return walk(value) as T;
  }

  /** A gateway answer with its text and parsed value scrubbed. */
  scrubResponse<T>(res: LLMResponse<T>): LLMResponse<T> {
    const text = this.scrubAnswer(res.text);
    if (text === res.text && res.parsed === undefined) return res;
    return { ...res, text, ...(res.parsed === undefined ? {} : { parsed: this.scrubDeep(res.parsed) }) };
  }
}
