import { type GatewayConfig, gatewaySecrets, type Redact, redactDeep, secretRedactor } from '@orrery/core';

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

  /** A deep copy of a JSON value with every string (keys included) redacted. */
  value<T>(v: T): T {
    return redactDeep(v, this.#redact);
  }
}
