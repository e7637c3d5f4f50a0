import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createGateway, ProviderCoolingDownError } from '../src/index.ts';
import { ask, type Harness, harness, loopbackConfig } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

describe('a restart on the same SQLite file', () => {
  it('keeps the budget window, the cooldowns, the cache and the ledger', async () => {
    const schema = z.object({ view: z.string() });
    const config = loopbackConfig(h.server, {
      budget: { maxCallsPerHour: 5, reserveCalls: 0 },
      cooldown: { baseMs: 1_000, maxMs: 300_000 },
      routing: { rules: { other: { prefer: [{ provider: 'backup', model: 'spare' }] } } },
    });
    const first = createGateway(config, { dbPath: h.dbPath, clock: h.clock });
    h.server.script('spare', [{ json: { view: 'bullish' } }]);
    const cacheable = {
      task: 'other',
      messages: ask('view?'),
      schema,
      cache: { ttlMs: 600_000, material: { features: { price: 100 }, thresholds: { price: 2 } } },
    };
    await first.execute(cacheable);
    await first.execute({ task: 'analysis', messages: ask('2') });
    h.server.script('cheap', [{ status: 429, retryAfter: 120 }]);
    await first.execute({ task: 'analysis', messages: ask('3') }).catch(() => undefined);
    const until = first.cooldownUntil('openai', 'cheap');
    expect(until).toBe(h.clock.now() + 120_000);
    await first.close();
    const calls = h.server.requests.length;

    h.clock.advance(30_000);
    const second = createGateway(config, { dbPath: h.dbPath, clock: h.clock });
    try {
      expect(second.budgetStatus().callsUsed).toBe(3); // the 429 counts too
      expect(second.cooldownUntil('openai', 'cheap')).toBe(until);
      await expect(second.execute({ task: 'analysis', messages: ask('4') })).rejects.toBeInstanceOf(
        ProviderCoolingDownError,
      );
      const hit = await second.execute({ ...cacheable, currentFeatures: { price: 101 } });
      expect(hit).toMatchObject({ cached: true, costUsd: 0, parsed: { view: 'bullish' } });
      expect(h.server.requests.length).toBe(calls);
      expect(second.ledger.since().map((e) => e.outcome)).toEqual([
        'ok',
        'ok',
        'error',
        'refused',
        'cache_hit',
      ]);
    } finally {
      await second.close();
    }
  });
});
