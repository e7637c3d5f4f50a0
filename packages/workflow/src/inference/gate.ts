import { type Gateway, type LLMRequest, RoutingPolicy } from '@orrery/core';
import { describe } from '../errors.ts';
import { type IntelligenceLevel, levelAllows } from '../intelligence.ts';
import { type InferenceHook, modeAllows, type WorkflowMode } from '../modes.ts';

/**
 * The should-use-LLM check's answer.
 * - `llm`: ask the gateway (its cache may still answer).
 * - `cache`: the budget is spent or every candidate is cooling down; ask the gateway anyway, because it
 *   answers from its cache before checking budget and cooldowns and refuses **without a provider call**
 *   otherwise — so only a cached answer can come back.
 * - `fallback`: use the hook's deterministic answer; no gateway call at all.
 */
export type GateVerdict =
  | { use: 'llm' }
  | { use: 'cache'; reason: 'budget' | 'cooling' }
  | { use: 'fallback'; reason: 'no_gateway' | 'mode' | 'intelligence' | 'unroutable' };

/** What the check looks at. */
export interface GateInput {
  gateway: Gateway | undefined;
  mode: WorkflowMode;
  hook: InferenceHook;
  /** The level of the agent concerned; `undefined` when the engine asks for itself (decisions, revisions after a failure). */
  level: IntelligenceLevel | undefined;
  /** The gateway task the hook would use. */
  task: string;
  /** Whether the request may use the budget's critical reserve (default false). */
  critical?: boolean;
}

const policies = new WeakMap<Gateway, RoutingPolicy>();

/**
 * Decides, before any LLM call, whether a hook may consult one, in this order: a gateway exists; the
 * workflow mode allows the hook; the agent's intelligence level allows it (recovery, mapping,
 * adaptation); the task is routable at all; some candidate is not cooling down (`candidatesFor`); the
 * global budget allows one more call (`canServe`). The last two degrade to `cache`. Never throws.
 */
export function shouldUseLLM(input: GateInput): GateVerdict {
  const { gateway } = input;
  if (gateway === undefined) return { use: 'fallback', reason: 'no_gateway' };
  if (!modeAllows(input.mode, input.hook)) return { use: 'fallback', reason: 'mode' };
  if (input.level !== undefined && input.hook !== 'decision' && !levelAllows(input.level, input.hook)) {
    return { use: 'fallback', reason: 'intelligence' };
  }
  let policy = policies.get(gateway);
  if (policy === undefined) {
    policy = new RoutingPolicy(gateway.config);
    policies.set(gateway, policy);
  }
  let routable: number;
  try {
    routable = policy.plan(input.task).candidates.length;
  } catch {
    routable = 0;
  }
  if (routable === 0) return { use: 'fallback', reason: 'unroutable' };
  if (gateway.candidatesFor(input.task).length === 0) return { use: 'cache', reason: 'cooling' };
  if (!gateway.canServe(input.task, { critical: input.critical === true }))
    return { use: 'cache', reason: 'budget' };
  return { use: 'llm' };
}

/** What a consultation produced: an answer (from a provider call or a cache) or the reason to fall back. */
export type Consultation<T> =
  | { source: 'llm' | 'cache'; answer: T }
  | { source: 'fallback'; reason: string; error?: unknown };

/**
 * Asks the gateway per the verdict. Never throws: an `LLMError` (or anything else) becomes a fallback
 * whose reason is the error's code; under a `cache` verdict a refusal is the expected cache miss and the
 * reason stays the verdict's (`budget`/`cooling`).
 */
export async function consult<T>(
  verdict: GateVerdict,
  gateway: Gateway | undefined,
  request: LLMRequest<T>,
): Promise<Consultation<T>> {
  if (verdict.use === 'fallback') return { source: 'fallback', reason: verdict.reason };
  if (gateway === undefined) return { source: 'fallback', reason: 'no_gateway' };
  try {
    const res = await gateway.execute(request);
    if (res.parsed === undefined) return { source: 'fallback', reason: 'no_answer' };
    return { source: res.cached ? 'cache' : 'llm', answer: res.parsed };
  } catch (error) {
    if (verdict.use === 'cache') return { source: 'fallback', reason: verdict.reason, error };
    const code = (error as { code?: unknown }).code;
    return {
      source: 'fallback',
      reason: typeof code === 'string' ? code : `error: ${describe(error)}`,
      error,
    };
  }
}

/** What every hook needs to ask: the gateway, its task, caching and cancellation. */
export interface HookEnv {
  gateway: Gateway | undefined;
  mode: WorkflowMode;
  /** The gateway task of this hook (routing rule, ledger). */
  task: string;
  /** How long the gateway may cache the hook's answer, in ms. */
  cacheTtlMs: number;
  /** Whether hook calls may use the budget's critical reserve. */
  critical: boolean;
  signal?: AbortSignal | undefined;
}

/** A hook's gateway request: cached (identical situations share one answer), as `workflow:engine`. */
export function hookRequest<T>(
  env: HookEnv,
  system: string,
  user: string,
  schema: NonNullable<LLMRequest<T>['schema']>,
): LLMRequest<T> {
  return {
    task: env.task,
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    schema,
    critical: env.critical,
    agent: 'workflow:engine',
    cache: { ttlMs: env.cacheTtlMs },
    signal: env.signal,
  };
}
