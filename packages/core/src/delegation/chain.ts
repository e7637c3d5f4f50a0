import type { GatewayConfig } from '../config/schema.ts';
import type { ModelTarget } from '../request.ts';
import { type RouteCandidate, RoutingPolicy } from '../routing-policy.ts';

const policies = new WeakMap<GatewayConfig, RoutingPolicy>();

function policyOf(config: GatewayConfig): RoutingPolicy {
  let p = policies.get(config);
  if (p === undefined) {
    p = new RoutingPolicy(config);
    policies.set(config, p);
  }
  return p;
}

/**
 * The fallback chain of a task, in order, each provider/model pair once: `chain` when given (an explicit
 * override), else the gateway's routing of the task (`routing.rules[task]`, else `routing.default`; the
 * local model first for trivial tasks when enabled; no local model for judgment tasks; over-cost
 * candidates left out; a single candidate when the rule says `fallback: false`).
 * Cooldowns are not consulted here: the gateway refuses a cooling pair without a call. Never throws.
 */
export function fallbackChain(
  config: GatewayConfig,
  task: string,
  chain?: readonly ModelTarget[],
): RouteCandidate[] {
  const policy = policyOf(config);
  if (chain !== undefined) {
    const out: RouteCandidate[] = [];
    for (const t of chain) {
      if (out.some((c) => c.provider === t.provider && c.model === t.model)) continue;
      out.push({ provider: t.provider, model: t.model, local: policy.isLocal(t.provider), trivial: false });
    }
    return out;
  }
  try {
    return policy.plan(task).candidates.map((c) => ({ ...c }));
  } catch {
    return [];
  }
}
