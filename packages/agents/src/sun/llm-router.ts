import { ExecutionMode } from '@orrery/core';
import { fromPromise } from 'xstate';
import { z } from 'zod';
import type { CallAllowance } from '../call-allowance.ts';
import { fmt } from '../planets/planet.ts';
import { roundDeep } from '../planets/prompt.ts';
import type { PlanetRoute, Routing, RoutingQuery } from '../routing.ts';

/** The routing LLM's answer: a direction per inner node it has a view on. */
export const routeAnswerSchema = z.object({
  routes: z.record(z.string().max(64), z.enum(['left', 'right', 'both'])),
  reason: z.string().max(500).optional(),
});

/** What one routing call needs. */
export interface LlmRouteInput {
  routing: Routing;
  query: RoutingQuery;
  /** The route the rules chose (shown to the model; kept for nodes it does not name). */
  rules: PlanetRoute;
  task: string;
  maxTokens: number;
  /** The cycle's permit for this one call. */
  allowance: CallAllowance;
  signal?: AbortSignal | undefined;
}

/**
 * Asks the LLM, once, which way the cycle's query goes at each inner node of the planets' routing tree
 * (`agents.routingLlm`, `FULL_AGENT` only) and routes by its answer; a node it does not name keeps its
 * rule. The answer can only choose among the tree's branches, so no planet outside the tree is affected.
 * @throws Error (the provider's, or a description) when the call fails, is refused or is invalid: the
 *   caller keeps the rules' route.
 */
export async function routeByLlm(input: LlmRouteInput): Promise<PlanetRoute> {
  const { routing, query: q } = input;
  const nodes = routing.choices.map(
    (c) =>
      `${c.node}: left = ${c.left.name} (${c.left.planets.join(', ')}), right = ${c.right.name} (${c.right.planets.join(', ')}); the rule says ${input.rules.path.find((p) => p.node === c.node)?.direction ?? 'not reached'}`,
  );
  const res = await input.allowance.execute({
    task: input.task,
    mode: ExecutionMode.FULL_AGENT,
    schema: routeAnswerSchema,
    maxTokens: input.maxTokens,
    temperature: 0,
    messages: [
      {
        role: 'system',
        content:
          'You route a trading system\'s analysis query through a tree of analyst planets: at each inner node, send it left, right or both (both costs more: each planet consulted may call an LLM). Answer with ONE JSON object {"routes": {"<node>": "left" | "right" | "both"}, "reason": short text} and nothing else.',
      },
      {
        role: 'user',
        content: [
          `Symbol ${q.symbol}. Regime: trend ${q.regime.trend ?? 'unknown'}, volatility ${q.regime.volatility ?? 'unknown'}; volatility ratio ${q.volatilityRatio === null ? 'unknown' : fmt(q.volatilityRatio)}; trend forecast ${q.trendForecast === null ? 'unknown' : fmt(q.trendForecast)}.`,
          `News headlines: ${q.news}. Critical update: ${q.critical ? 'yes' : 'no'}. Changed: ${q.changed.join(', ') || 'nothing'}.`,
          `Features: ${JSON.stringify(roundDeep(q.features, 4))}`,
          `Nodes:\n${nodes.join('\n')}`,
        ].join('\n'),
      },
    ],
    ...(input.signal === undefined ? {} : { signal: input.signal }),
  });
  if (!res.success || res.parsed === undefined) {
    throw new Error(res.error?.message ?? 'the routing answer was not valid');
  }
  const known = new Set(routing.choices.map((c) => c.node));
  const directions = Object.fromEntries(
    Object.entries(res.parsed.routes).filter(([node]) => known.has(node)),
  );
  if (Object.keys(directions).length === 0) throw new Error('the routing answer named no node of the tree');
  return routing.route(q, directions);
}

/** The XState actor of {@link routeByLlm}. */
export const llmRouteActor = fromPromise<PlanetRoute, LlmRouteInput>(({ input, signal }) =>
  routeByLlm({ ...input, signal }),
);
