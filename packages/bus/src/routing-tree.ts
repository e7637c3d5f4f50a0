import { type Address, isAddress } from './address.ts';
import { RouterFailedError, RoutingTreeError } from './errors.ts';
import {
  applyRule,
  type Direction,
  directionSchema,
  type RouteRule,
  routeRuleSchema,
} from './routing-rule.ts';

/**
 * A router written in code (e.g. a routing hint from the local model; the bus imports no LLM code).
 * It may be async; it receives the query and the node it decides for.
 */
export type RouterFn<Q> = (
  query: Q,
  node: { readonly name: string; readonly depth: number; readonly signal: AbortSignal | undefined },
) => Direction | Promise<Direction>;

/** A node's router: a declarative rule, the name of a router given to `createRoutingTree`, or a function. */
export type RouterSpec<Q> = RouteRule | string | RouterFn<Q>;

/** A leaf: where queries end up. `address` defaults to `planet.<name>`. */
export interface RouteLeafSpec {
  name: string;
  address?: Address;
}

/** An inner node: its router chooses the left subtree, the right one, or both. */
export interface RouteBranchSpec<Q> {
  name: string;
  router: RouterSpec<Q>;
  left: RouteNodeSpec<Q>;
  right: RouteNodeSpec<Q>;
}

/** The declarative description of a binary routing tree. */
export type RouteNodeSpec<Q> = RouteLeafSpec | RouteBranchSpec<Q>;

/** One decision taken while routing. */
export interface RouteStep {
  /** The inner node that decided. */
  readonly node: string;
  readonly direction: Direction;
  /** Set when the router failed and the tree's `fallback` was used instead; holds the failure. */
  readonly fallback?: string;
}

/** Where a query went: the leaves reached (left to right) and each decision, in visiting order. */
export interface RouteResult {
  readonly leaves: readonly Address[];
  readonly path: readonly RouteStep[];
}

/** Options for {@link createRoutingTree}. */
export interface RoutingTreeOptions<Q> {
  /** Routers the description names by string. */
  routers?: Readonly<Record<string, RouterFn<Q>>>;
  /** Used when a router throws or answers something invalid; without it, `route` rejects. */
  fallback?: Direction;
}

/** A validated routing tree. */
export interface RoutingTree<Q> {
  /** Every leaf address, left to right. */
  readonly leaves: readonly Address[];
  /**
   * Routes a query from the root. Subtrees chosen by `both` are explored concurrently.
   * @throws RouterFailedError when a router throws or answers anything but left, right or both (and no
   *   `fallback` was given).
   */
  route(query: Q, opts?: { signal?: AbortSignal }): Promise<RouteResult>;
}

type Node<Q> =
  | { kind: 'leaf'; name: string; address: Address }
  | { kind: 'branch'; name: string; decide: RouterFn<Q>; left: Node<Q>; right: Node<Q> };

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

function compile<Q>(spec: unknown, at: string, seen: Set<string>, opts: RoutingTreeOptions<Q>): Node<Q> {
  const fail = (where: string, what: string): never => {
    throw new RoutingTreeError(`invalid routing tree at ${where}: ${what}`, { at: where });
  };
  if (typeof spec !== 'object' || spec === null) return fail(at, 'expected a node object');
  const s = spec as Record<string, unknown>;
  const name = s.name;
  if (typeof name !== 'string' || !NAME.test(name)) {
    return fail(at, `name must be 1-64 characters of A-Z a-z 0-9 _ -, got ${JSON.stringify(name)}`);
  }
  const here = at === '' ? name : `${at}.${name}`;
  if (seen.has(name)) fail(here, `node name ${name} is used twice`);
  seen.add(name);
  const isBranch = 'router' in s || 'left' in s || 'right' in s;
  if (!isBranch) {
    const extra = Object.keys(s).filter((k) => k !== 'name' && k !== 'address');
    if (extra.length > 0) fail(here, `unknown field(s) ${extra.join(', ')} on a leaf`);
    const address = s.address ?? `planet.${name}`;
    if (!isAddress(address)) fail(`${here}.address`, `${JSON.stringify(address)} is not an address`);
    return { kind: 'leaf', name, address: address as Address };
  }
  for (const key of ['router', 'left', 'right'] as const) {
    if (s[key] === undefined) fail(here, `an inner node needs router, left and right; ${key} is missing`);
  }
  return {
    kind: 'branch',
    name,
    decide: router(s.router, `${here}.router`, opts, fail),
    left: compile(s.left, `${here}`, seen, opts),
    right: compile(s.right, `${here}`, seen, opts),
  };
}

function router<Q>(
  spec: unknown,
  at: string,
  opts: RoutingTreeOptions<Q>,
  fail: (where: string, what: string) => never,
): RouterFn<Q> {
  if (typeof spec === 'function') return spec as RouterFn<Q>;
  if (typeof spec === 'string') {
    const fn = opts.routers?.[spec];
    if (fn === undefined) fail(at, `no router named ${JSON.stringify(spec)} was given`);
    return fn as RouterFn<Q>;
  }
  const parsed = routeRuleSchema.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? at : `${at}.${issue.path.join('.')}`;
    return fail(where, issue?.message ?? 'not a rule');
  }
  const rule = parsed.data as RouteRule;
  return (query) => applyRule(rule, query);
}

async function visit<Q>(
  node: Node<Q>,
  query: Q,
  depth: number,
  signal: AbortSignal | undefined,
  fallback: Direction | undefined,
): Promise<{ leaves: Address[]; path: RouteStep[] }> {
  if (node.kind === 'leaf') return { leaves: [node.address], path: [] };
  let step: RouteStep;
  try {
    const answer: unknown = await node.decide(query, { name: node.name, depth, signal });
    const direction = directionSchema.safeParse(answer);
    if (!direction.success) {
      throw new RouterFailedError(
        `router of ${node.name} answered ${JSON.stringify(answer)}, not left|right|both`,
        {
          node: node.name,
        },
      );
    }
    step = { node: node.name, direction: direction.data };
  } catch (err) {
    const failure =
      err instanceof RouterFailedError
        ? err
        : new RouterFailedError(
            `router of ${node.name} failed: ${err instanceof Error ? err.message : String(err)}`,
            { node: node.name, cause: err },
          );
    if (fallback === undefined) throw failure;
    step = { node: node.name, direction: fallback, fallback: failure.message };
  }
  const go = step.direction;
  const [left, right] = await Promise.all([
    go === 'right' ? undefined : visit(node.left, query, depth + 1, signal, fallback),
    go === 'left' ? undefined : visit(node.right, query, depth + 1, signal, fallback),
  ]);
  const leaves = [...(left?.leaves ?? []), ...(right?.leaves ?? [])];
  return {
    leaves: [...new Set(leaves)],
    path: [step, ...(left?.path ?? []), ...(right?.path ?? [])],
  };
}

function allLeaves<Q>(node: Node<Q>): Address[] {
  return node.kind === 'leaf' ? [node.address] : [...allLeaves(node.left), ...allLeaves(node.right)];
}

/**
 * Builds a binary routing tree from its description.
 *
 * @example
 * const tree = createRoutingTree({
 *   name: 'analysis',
 *   router: { rules: [{ when: { field: 'kind', equals: 'price' }, go: 'left' }], otherwise: 'both' },
 *   left: { name: 'technical', router: 'hint', left: { name: 'momentum' }, right: { name: 'meanReversion' } },
 *   right: { name: 'fundamental', router: async (q) => 'both', left: { name: 'sentiment' }, right: { name: 'events' } },
 * }, { routers: { hint: async (q) => 'left' } });
 * await tree.route({ kind: 'price' }); // { leaves: ['planet.momentum'], path: [...] }
 * @throws RoutingTreeError naming where the description is wrong (`at`, e.g. `analysis.technical.router`).
 */
export function createRoutingTree<Q = Record<string, unknown>>(
  spec: RouteNodeSpec<Q>,
  opts: RoutingTreeOptions<Q> = {},
): RoutingTree<Q> {
  if (opts.fallback !== undefined && !directionSchema.safeParse(opts.fallback).success) {
    throw new RoutingTreeError(`fallback must be left, right or both, got ${JSON.stringify(opts.fallback)}`, {
      at: 'fallback',
    });
  }
  const root = compile(spec, '', new Set(), opts);
  const fallback = opts.fallback;
  return {
    leaves: [...new Set(allLeaves(root))],
    async route(query, routeOpts = {}) {
      const { leaves, path } = await visit(root, query, 0, routeOpts.signal, fallback);
      return { leaves, path };
    },
  };
}
