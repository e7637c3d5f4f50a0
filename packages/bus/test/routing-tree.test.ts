import { describe, expect, it } from 'vitest';
import {
  createRoutingTree,
  type Direction,
  type RouteNodeSpec,
  RouterFailedError,
  RoutingTreeError,
} from '../src/index.ts';

type Query = { kind?: string; text?: string; tags?: string[]; volatility?: number };

/** analysis → technical {momentum, meanReversion} / fundamental {sentiment, events} */
function analysis(): RouteNodeSpec<Query> {
  return {
    name: 'analysis',
    router: {
      rules: [
        { when: { field: 'kind', equals: 'price' }, go: 'left' },
        { when: { field: 'kind', oneOf: ['news', 'filing'] }, go: 'right' },
      ],
      otherwise: 'both',
    },
    left: {
      name: 'technical',
      router: { rules: [{ when: { field: 'volatility', above: 0.5 }, go: 'right' }], otherwise: 'left' },
      left: { name: 'momentum' },
      right: { name: 'meanReversion' },
    },
    right: {
      name: 'fundamental',
      router: 'hint',
      left: { name: 'sentiment' },
      right: { name: 'events', address: 'moon.calendar' },
    },
  };
}

const hint = async (q: Query): Promise<Direction> => {
  await Promise.resolve();
  if (q.text?.includes('earnings')) return 'right';
  if (q.text?.includes('tweet')) return 'left';
  return 'both';
};

describe('routing tree', () => {
  const tree = createRoutingTree<Query>(analysis(), { routers: { hint } });

  it('lists its leaves left to right', () => {
    expect(tree.leaves).toEqual([
      'planet.momentum',
      'planet.meanReversion',
      'planet.sentiment',
      'moon.calendar',
    ]);
  });

  it('routes left by a rule', async () => {
    expect(await tree.route({ kind: 'price', volatility: 0.1 })).toEqual({
      leaves: ['planet.momentum'],
      path: [
        { node: 'analysis', direction: 'left' },
        { node: 'technical', direction: 'left' },
      ],
    });
    expect((await tree.route({ kind: 'price', volatility: 0.9 })).leaves).toEqual(['planet.meanReversion']);
  });

  it('routes right through an injected async router', async () => {
    expect(await tree.route({ kind: 'news', text: 'earnings beat' })).toEqual({
      leaves: ['moon.calendar'],
      path: [
        { node: 'analysis', direction: 'right' },
        { node: 'fundamental', direction: 'right' },
      ],
    });
  });

  it('routes both ways and reports the path in visiting order', async () => {
    const r = await tree.route({ kind: 'other', text: 'a tweet' });
    expect(r.leaves).toEqual(['planet.momentum', 'planet.sentiment']);
    expect(r.path).toEqual([
      { node: 'analysis', direction: 'both' },
      { node: 'technical', direction: 'left' },
      { node: 'fundamental', direction: 'left' },
    ]);
  });

  it('explores both subtrees concurrently, yet keeps left before right', async () => {
    const order: string[] = [];
    let releaseLeft!: () => void;
    const slowLeft = new Promise<void>((r) => {
      releaseLeft = r;
    });
    const t = createRoutingTree<Query>({
      name: 'root',
      router: () => 'both',
      left: {
        name: 'l',
        router: async (): Promise<Direction> => {
          order.push('l-start');
          await slowLeft;
          order.push('l-end');
          return 'left';
        },
        left: { name: 'a' },
        right: { name: 'b' },
      },
      right: {
        name: 'r',
        router: () => {
          order.push('r');
          releaseLeft();
          return 'right';
        },
        left: { name: 'c' },
        right: { name: 'd' },
      },
    });
    const r = await t.route({});
    expect(order).toEqual(['l-start', 'r', 'l-end']);
    expect(r.leaves).toEqual(['planet.a', 'planet.d']);
  });

  it('evaluates every kind of condition', async () => {
    const pick = (when: unknown) =>
      createRoutingTree<Query>({
        name: 'root',
        router: { rules: [{ when, go: 'left' }], otherwise: 'right' } as never,
        left: { name: 'yes' },
        right: { name: 'no' },
      });
    const cases: [unknown, Query, string][] = [
      [{ field: 'text', matches: '^BUY\\b' }, { text: 'buy now' }, 'yes'],
      [{ field: 'text', matches: '^BUY\\b', flags: '' }, { text: 'buy now' }, 'no'],
      [{ field: 'tags', includes: 'macro' }, { tags: ['micro', 'macro'] }, 'yes'],
      [{ field: 'text', includes: 'rate' }, { text: 'rate cut' }, 'yes'],
      [{ field: 'volatility', exists: false }, {}, 'yes'],
      [{ field: 'volatility', above: 0.2, below: 0.4 }, { volatility: 0.3 }, 'yes'],
      [{ field: 'volatility', above: 0.2, below: 0.4 }, { volatility: 0.4 }, 'no'],
      [
        { all: [{ field: 'kind', equals: 'news' }, { not: { field: 'text', exists: true } }] },
        { kind: 'news' },
        'yes',
      ],
      [
        {
          any: [
            { field: 'kind', equals: 'x' },
            { field: 'kind', equals: 'y' },
          ],
        },
        { kind: 'z' },
        'no',
      ],
    ];
    for (const [when, query, leaf] of cases) {
      expect((await pick(when).route(query)).leaves, JSON.stringify(when)).toEqual([`planet.${leaf}`]);
    }
  });

  it('fails with a typed error when a router throws or answers nonsense, unless a fallback is set', async () => {
    const spec = (router: () => Direction | Promise<Direction>): RouteNodeSpec<Query> => ({
      name: 'root',
      router,
      left: { name: 'a' },
      right: { name: 'b' },
    });
    const throwing = createRoutingTree(
      spec(async () => {
        throw new Error('local model is down');
      }),
    );
    const err = await throwing.route({}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouterFailedError);
    expect(err).toMatchObject({ node: 'root', code: 'ORRERY_BUS_ROUTER_FAILED' });
    expect((err as Error).message).toContain('local model is down');
    const nonsense = createRoutingTree(spec(() => 'up' as Direction));
    await expect(nonsense.route({})).rejects.toThrow(/answered "up"/);

    const tolerant = createRoutingTree(
      spec(() => {
        throw new Error('boom');
      }),
      { fallback: 'both' },
    );
    const r = await tolerant.route({});
    expect(r.leaves).toEqual(['planet.a', 'planet.b']);
    expect(r.path[0]).toMatchObject({ node: 'root', direction: 'both' });
    expect(r.path[0]?.fallback).toContain('boom');
  });

  it('rejects invalid descriptions, naming where', () => {
    const at = (spec: unknown, opts = {}) => {
      try {
        createRoutingTree(spec as RouteNodeSpec<Query>, opts);
      } catch (e) {
        expect(e).toBeInstanceOf(RoutingTreeError);
        return (e as RoutingTreeError).at;
      }
      throw new Error('expected a RoutingTreeError');
    };
    expect(at(null)).toBe('');
    expect(at({ name: 'bad name' })).toBe('');
    expect(at({ name: 'root', router: 'left', left: { name: 'a' } })).toBe('root');
    expect(at({ name: 'root', router: 'missing', left: { name: 'a' }, right: { name: 'b' } })).toBe(
      'root.router',
    );
    expect(
      at({ name: 'root', router: { rules: [], otherwise: 'up' }, left: { name: 'a' }, right: { name: 'b' } }),
    ).toBe('root.router.otherwise');
    expect(
      at({
        name: 'root',
        router: { rules: [{ when: { field: 'x', matches: '(' }, go: 'left' }], otherwise: 'left' },
        left: { name: 'a' },
        right: { name: 'b' },
      }),
    ).toMatch(/^root\.router\.rules\.0\.when/);
    expect(at({ name: 'root', router: () => 'left', left: { name: 'a' }, right: { name: 'a' } })).toBe(
      'root.a',
    );
    expect(
      at({
        name: 'root',
        router: () => 'left',
        left: { name: 'a', address: 'nowhere' },
        right: { name: 'b' },
      }),
    ).toBe('root.a.address');
    expect(
      at({ name: 'root', router: () => 'left', left: { name: 'a', extra: 1 }, right: { name: 'b' } }),
    ).toBe('root.a');
    expect(
      at(
        { name: 'root', router: () => 'left', left: { name: 'a' }, right: { name: 'b' } },
        { fallback: 'up' },
      ),
    ).toBe('fallback');
  });
});
