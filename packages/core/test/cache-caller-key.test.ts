import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
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

describe('cache keyed by the caller (cache.key)', () => {
  it('finds the entry whatever the wording; another key or task misses', async () => {
    const g = h.gateway();
    h.server.script('cheap', [{ json: { view: 'up' } }]);
    const at = (text: string, key: string, task = 'analysis') =>
      g.execute({ task, messages: ask(text), schema: View, cache: { ttlMs: 60_000, key } });
    expect((await at('close 101.2, rsi 55', 'k1')).cached).toBe(false);
    const again = await at('close 101.3, rsi 56', 'k1');
    expect(again).toMatchObject({ cached: true, costUsd: 0, parsed: { view: 'up' } });
    expect((await at('close 101.2, rsi 55', 'k2')).cached).toBe(false);
    expect((await at('close 101.2, rsi 55', 'k1', 'other')).cached).toBe(false);
    expect(h.server.requests).toHaveLength(3);
    expect(g.ledger.since().map((e) => e.outcome)).toEqual(['ok', 'cache_hit', 'ok', 'ok']);
  });
});
