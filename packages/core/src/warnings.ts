import type { GatewayConfig } from './config/schema.ts';
import { RoutingPolicy } from './routing-policy.ts';

/**
 * What a configuration gets silently wrong, as sentences for the startup log: a paid model that a routing
 * rule may use but that has no price (its calls would count $0 — set `gateway.prices["provider/model"]`),
 * a backup task left without a provider/model distinct from its primary's (the backup is off), and an
 * `apiKey: { env }` whose variable is unset.
 */
export function gatewayWarnings(config: GatewayConfig): string[] {
  const out: string[] = [];
  const policy = new RoutingPolicy(config);
  const r = config.routing;
  const rules = [r.default, ...Object.values(r.rules)];
  const unpriced = new Set<string>();
  for (const rule of rules) {
    for (const t of rule.prefer) {
      if (policy.priceOf(t.provider, t.model) === undefined) unpriced.add(`${t.provider}/${t.model}`);
    }
  }
  for (const pair of unpriced)
    out.push(
      `no price for ${pair}: its calls would cost $0 in every total — set gateway.prices["${pair}"] (USD per 1k input/output tokens)`,
    );
  for (const [backup, primary] of Object.entries(r.backups)) {
    if (r.rules[backup] !== undefined) continue;
    let empty = false;
    try {
      empty = policy.plan(backup).candidates.length === 0;
    } catch {
      empty = true;
    }
    if (empty)
      out.push(
        `${backup} has no provider/model distinct from ${primary}'s, so it is off (calling the same model again would be a retry in disguise) — add gateway.routing.rules.${backup}.prefer`,
      );
  }
  for (const [name, p] of Object.entries(config.providers)) {
    if (p.apiKeyEnv !== undefined && p.apiKey === undefined)
      out.push(`provider ${name}: its key comes from $${p.apiKeyEnv}, which is not set`);
  }
  return out;
}
