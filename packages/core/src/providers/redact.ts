/**
 * Removes secrets (API keys) from text that may reach an error, the ledger or a log: provider error
 * bodies sometimes echo the key they refused.
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}
