import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cacheKey, movedPast } from '../src/index.ts';
import { ask, type Harness, harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
  h.server.setDefault(() => ({ json: { view: 'flat' } }));
});
afterEach(async () => {
  await h.close();
});

const View = z.object({ view: z.string() });
const material = { features: { price: 100, rsi: 50 }, thresholds: { price: 2, rsi: 10 } };
const req = (extra: object = {}) => ({
  task: 'analysis',
  messages: ask('view?'),
  schema: View,
  cache: { ttlMs: 60_000, material },
  ...extra,
});

describe('cache', () => {
  it('answers a repeated request from the cache: cached, no cost, no call, in the ledger', async () => {
    const g = h.gateway();
    h.server.script('cheap', [{ json: { view: 'up' }, usage: { input: 100, output: 10 } }]);
    const first = await g.execute(req());
    const second = await g.execute(req());
    expect(first.cached).toBe(false);
    expect(second).toMatchObject({
      cached: true,
      costUsd: 0,
      parsed: { view: 'up' },
      tokensIn: 100,
      provider: 'openai',
    });
    expect(h.server.requests).toHaveLength(1);
    expect(g.ledger.since().map((e) => e.outcome)).toEqual(['ok', 'cache_hit']);
    expect(g.metrics()).toMatchObject({ cacheHits: 1, cacheMisses: 1, cacheHitRate: 0.5 });
  });

  it('expires entries after their TTL', async () => {
    const g = h.gateway();
    await g.execute(req());
    h.clock.advance(59_999);
    expect((await g.execute(req())).cached).toBe(true);
    h.clock.advance(1);
    expect((await g.execute(req())).cached).toBe(false);
    expect(h.server.requests).toHaveLength(2);
  });

  it('a lookup whose features moved past a threshold is a miss and evicts the entry', async () => {
    const g = h.gateway();
    h.server.script('cheap', [{ json: { view: 'up' } }, { json: { view: 'down' } }]);
    await g.execute(req());
    expect((await g.execute(req({ currentFeatures: { price: 101.9, rsi: 41 } }))).cached).toBe(true);
    const moved = await g.execute(req({ currentFeatures: { price: 102.5, rsi: 50 } }));
    expect(moved).toMatchObject({ cached: false, parsed: { view: 'down' } });
    expect(h.server.requests).toHaveLength(2);
    // The fresh answer replaced the stale one (stored with the request's material, price 100).
    expect((await g.execute(req())).parsed).toEqual({ view: 'down' });
    const missing = await g.execute(req({ currentFeatures: { price: 100 } }));
    expect(missing.cached).toBe(false); // rsi unknown: cannot prove the entry fresh
  });

  it('keys on task, normalised messages, schema identity and target', () => {
    const a = cacheKey('t', ask('hello\r\n  world  '), View, undefined);
    expect(cacheKey('t', ask('hello\nworld'), View, undefined)).toBe(a);
    expect(cacheKey('t', ask('hello\nworld'), z.object({ view: z.string() }), undefined)).toBe(a);
    expect(cacheKey('u', ask('hello\nworld'), View, undefined)).not.toBe(a);
    expect(cacheKey('t', ask('hello world'), View, undefined)).not.toBe(a);
    expect(cacheKey('t', ask('hello\nworld'), z.object({ view: z.number() }), undefined)).not.toBe(a);
    expect(cacheKey('t', ask('hello\nworld'), View, { provider: 'openai', model: 'x' })).not.toBe(a);
  });

  it('movedPast is true exactly when some thresholded feature moved by more than its threshold (property)', () => {
    const feature = fc.double({ min: -1e6, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.constantFrom('price', 'rsi', 'vol', 'spread'),
          fc.tuple(feature, fc.double({ min: 0, max: 1e3, noNaN: true }), feature),
        ),
        (spec) => {
          const features: Record<string, number> = {};
          const thresholds: Record<string, number> = {};
          const current: Record<string, number> = {};
          let expected = false;
          for (const [k, [then, threshold, now]] of Object.entries(spec)) {
            features[k] = then;
            thresholds[k] = threshold;
            current[k] = now;
            if (Math.abs(now - then) > threshold) expected = true;
          }
          expect(movedPast(features, thresholds, current)).toBe(expected);
        },
      ),
    );
  });
});
