import {
  applyRule,
  createRoutingTree,
  type RouteNodeSpec,
  type RouteRule,
  type RouteStep,
  RoutingTreeError,
  routeRuleSchema,
} from '@orrery/bus';
import { z } from 'zod';
import { InvalidConfigError } from './errors.ts';
import type { MoonSnapshot } from './moons/snapshot.ts';

/** A leaf of the planets' routing tree: a planet (its name), or a group of planets. */
export interface RoutingLeaf {
  name: string;
  /** The planets of a group; absent: the planet named `name`. */
  planets?: string[] | undefined;
}

/** An inner node: its rule sends the cycle's query left, right or both. */
export interface RoutingBranch {
  name: string;
  router: RouteRule;
  left: RoutingNode;
  right: RoutingNode;
}

/** A node of the routing tree (`agents.routing`). */
export type RoutingNode = RoutingLeaf | RoutingBranch;

const name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a name of 1-64 characters A-Z a-z 0-9 _ -');

/**
 * Schema of a routing tree in configuration: a leaf `{name, planets?}` (a planet, or a group of planets),
 * or an inner node `{name, router, left, right}` whose rule sends the query left, right or both.
 */
export const routingNodeSchema: z.ZodType<RoutingNode> = z.lazy(
  () =>
    z
      .strictObject({
        name: name.describe(
          "The node's name (1-64 characters A-Z a-z 0-9 _ -): a leaf without `planets` is the planet of this name.",
        ),
        planets: z
          .array(z.string().min(1))
          .min(1)
          .optional()
          .describe(
            'A leaf: the planets of this group. Default: the planet named `name`. Not on an inner node.',
          ),
        router: (routeRuleSchema as z.ZodType<RouteRule>)
          .optional()
          .describe(
            "An inner node: the rule that sends the cycle's query left, right or both (needs `left` and `right`).",
          ),
        left: routingNodeSchema
          .optional()
          .describe('An inner node: the subtree on the left. Default: none (a leaf).'),
        right: routingNodeSchema
          .optional()
          .describe('An inner node: the subtree on the right. Default: none (a leaf).'),
      })
      .superRefine((n, ctx) => {
        const inner = n.router !== undefined || n.left !== undefined || n.right !== undefined;
        if (!inner) return;
        for (const key of ['router', 'left', 'right'] as const)
          if (n[key] === undefined)
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `an inner node needs router, left and right; ${key} is missing`,
            });
        if (n.planets !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['planets'],
            message: 'an inner node has no planets (its leaves do)',
          });
      }) as unknown as z.ZodType<RoutingNode>,
);

/**
 * The default tree: the `analysis` query goes to the `technical` leaf (the trend forecast) always, and to
 * `fundamental` (sentiment) as well only when the cycle has news — so the sentiment planet is not
 * consulted (and makes no call) on bars without news.
 */
export const DEFAULT_ROUTING: RoutingNode = {
  name: 'analysis',
  router: { rules: [{ when: { field: 'news', above: 0 }, go: 'both' }], otherwise: 'left' },
  left: { name: 'technical', planets: ['technical'] },
  right: { name: 'fundamental', planets: ['sentiment'] },
};

/** Where one cycle's query went: the leaves reached, each decision, and the planets consulted. */
export interface PlanetRoute {
  leaves: string[];
  path: RouteStep[];
  /** The routed planets (those of the leaves reached). */
  planets: string[];
  /** Inner nodes whose direction the routing LLM chose (`agents.routingLlm`), not their rule. */
  byLlm?: string[];
  /** Why the routing LLM's answer was not used (the rules routed): a failed, refused or invalid call. */
  llmError?: string;
}

/** Which way the query goes at an inner node. */
export type RouteDirection = 'left' | 'right' | 'both';

/** An inner node as the routing LLM is shown it: what lies on each side. */
export interface RoutingChoice {
  node: string;
  left: { name: string; planets: string[] };
  right: { name: string; planets: string[] };
}

/** A validated routing tree, ready to route. */
export interface Routing {
  /** Every planet named by a leaf: only these are routed; any other planet is always consulted. */
  readonly routed: ReadonlySet<string>;
  /** The inner nodes, root first, with the planets under each side. */
  readonly choices: readonly RoutingChoice[];
  /**
   * Routes a query by the nodes' rules; a node named in `directions` goes that way instead (names not
   * in the tree are ignored).
   */
  route(query: RoutingQuery, directions?: Readonly<Record<string, RouteDirection>>): PlanetRoute;
}

/** What the tree's rules read (dot paths in `field`): the regime, news, volatility, features. */
export interface RoutingQuery {
  symbol: string;
  /** Headlines the cycle has. */
  news: number;
  regime: { trend: string | null; volatility: string | null };
  /** Realised volatility over its long-run level. */
  volatilityRatio: number | null;
  trendForecast: number | null;
  features: Record<string, number>;
  changed: string[];
  critical: boolean;
}

/** The routing query of a cycle. */
export function routingQuery(s: MoonSnapshot, news: readonly string[] | undefined): RoutingQuery {
  const r = s.readings;
  return {
    symbol: s.symbol,
    news: news?.length ?? 0,
    regime: { trend: r.regime.trend, volatility: r.regime.volatility },
    volatilityRatio: r.volatility.ratio,
    trendForecast: r.trend.forecast,
    features: s.features,
    changed: s.changedFeatures,
    critical: s.criticalUpdates.length > 0,
  };
}

const leafPlanets = (l: RoutingLeaf): string[] => l.planets ?? [l.name];

/**
 * Validates a tree against the planets there are and compiles it.
 * @throws InvalidConfigError with the key path (`routing.analysis.fundamental.planets`, …) for a malformed
 *   tree, a duplicate node name, a branch without both sides, or a leaf naming an unknown planet.
 */
export function compileRouting(spec: unknown, planets: readonly string[], at = 'routing'): Routing {
  const parsed = routingNodeSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = [at, ...(issue?.path ?? []).map(String)].join('.');
    throw new InvalidConfigError(`invalid routing tree: ${path}: ${issue?.message ?? 'invalid'}`, {
      issues: [{ path, message: issue?.message ?? 'invalid' }],
    });
  }
  const tree = parsed.data;
  const fail = (path: string, message: string): never => {
    throw new InvalidConfigError(`invalid routing tree: ${path}: ${message}`, {
      issues: [{ path, message }],
    });
  };
  // Structure (unique names, both sides of every branch) as the bus's routing tree checks it.
  const toBus = (n: RoutingNode): RouteNodeSpec<unknown> =>
    'router' in n
      ? { name: n.name, router: n.router, left: toBus(n.left), right: toBus(n.right) }
      : { name: n.name };
  try {
    createRoutingTree(toBus(tree));
  } catch (err) {
    if (err instanceof RoutingTreeError) fail(`${at}.${err.at}`, err.message);
    throw err;
  }
  const routed = new Set<string>();
  const check = (n: RoutingNode, path: string): void => {
    const here = `${path}.${n.name}`;
    if ('router' in n) {
      check(n.left, here);
      check(n.right, here);
      return;
    }
    for (const p of leafPlanets(n)) {
      if (!planets.includes(p))
        fail(`${here}.planets`, `unknown planet '${p}' (planets: ${planets.join(', ')})`);
      routed.add(p);
    }
  };
  check(tree, at);
  const under = (n: RoutingNode): string[] =>
    'router' in n ? [...new Set([...under(n.left), ...under(n.right)])] : leafPlanets(n);
  const choices: RoutingChoice[] = [];
  const collect = (n: RoutingNode): void => {
    if (!('router' in n)) return;
    choices.push({
      node: n.name,
      left: { name: n.left.name, planets: under(n.left) },
      right: { name: n.right.name, planets: under(n.right) },
    });
    collect(n.left);
    collect(n.right);
  };
  collect(tree);
  const visit = (
    n: RoutingNode,
    q: RoutingQuery,
    out: PlanetRoute,
    directions: Readonly<Record<string, RouteDirection>> | undefined,
  ): void => {
    if (!('router' in n)) {
      out.leaves.push(n.name);
      for (const p of leafPlanets(n)) if (!out.planets.includes(p)) out.planets.push(p);
      return;
    }
    const chosen =
      directions !== undefined && Object.hasOwn(directions, n.name) ? directions[n.name] : undefined;
    const go = chosen === 'left' || chosen === 'right' || chosen === 'both' ? chosen : applyRule(n.router, q);
    if (go === chosen) out.byLlm = [...(out.byLlm ?? []), n.name];
    out.path.push({ node: n.name, direction: go });
    if (go !== 'right') visit(n.left, q, out, directions);
    if (go !== 'left') visit(n.right, q, out, directions);
  };
  return {
    routed,
    choices,
    route(q: RoutingQuery, directions?: Readonly<Record<string, RouteDirection>>): PlanetRoute {
      const out: PlanetRoute = { leaves: [], path: [], planets: [] };
      visit(tree, q, out, directions);
      return out;
    },
  };
}

/**
 * The tree with the planets in `present` only: a leaf whose planets are all absent goes, and so does a
 * branch left with one side (the side stays). Null when nothing is left.
 */
export function pruneRouting(n: RoutingNode, present: readonly string[]): RoutingNode | null {
  if (!('router' in n)) {
    const kept = leafPlanets(n).filter((p) => present.includes(p));
    if (kept.length === 0) return null;
    return n.planets === undefined ? n : { ...n, planets: kept };
  }
  const left = pruneRouting(n.left, present);
  const right = pruneRouting(n.right, present);
  if (left === null) return right;
  if (right === null) return left;
  return { ...n, left, right };
}
