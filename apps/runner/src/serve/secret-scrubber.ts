import type { GatewayConfig } from '@orrery/core';

/** Secrets shorter than this are not scrubbed (replacing `a` everywhere would mangle every line). */
const MIN_SECRET = 6;

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
}
