import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ask, type Harness, harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

describe('ledger and metrics', () => {
  it('summarises the last N days with savings against the reference model', async () => {
    const g = h.gateway({
      routing: { trivial: { enabled: true } },
      ledger: { referenceModel: { name: 'ref/paid', inputPer1k: 0.01, outputPer1k: 0.03 } },
      budget: { maxCallsPerHour: 3, reserveCalls: 0 },
    });
    h.server.setDefault(() => ({ text: 'ok', usage: { input: 1_000, output: 100 } }));
    await g.execute({ task: 'analysis', messages: ask('a'), mode: 'LIGHT_REASONING', agent: 'planet:risk' });
    await g.execute({ task: 'summarise', messages: ask('b') });
    await g.execute({ task: 'analysis', messages: ask('c'), cache: { ttlMs: 60_000 } });
    await g.execute({ task: 'analysis', messages: ask('c'), cache: { ttlMs: 60_000 } });
    await g.execute({ task: 'analysis', messages: ask('d') }).catch(() => undefined);
    h.clock.advance(2 * 86_400_000);
    h.server.script('cheap', [{ status: 500 }]);
    await g.execute({ task: 'analysis', messages: ask('e') }).catch(() => undefined);

    const recent = g.ledger.summary({ days: 1 });
    expect(recent).toMatchObject({ calls: 1, callsFailed: 1, errorsByCode: { ORRERY_LLM_PROVIDER: 1 } });

    const s = g.ledger.summary({ days: 7 });
    expect(s).toMatchObject({
      calls: 4,
      callsOk: 3,
      callsFailed: 1,
      cacheHits: 1,
      refusals: { budget: 1 },
      tokensIn: 3_000,
      tokensOut: 300,
      referenceModel: 'ref/paid',
    });
    const paid = (2 * (1_000 * 0.0001 + 100 * 0.0004)) / 1000; // two calls on openai/cheap; the local one is free
    expect(s.costUsd).toBeCloseTo(paid, 12);
    const reference = (4 * (1_000 * 0.01 + 100 * 0.03)) / 1000; // three calls + one cache hit
    expect(s.referenceCostUsd).toBeCloseTo(reference, 12);
    expect(s.savingsUsd).toBeCloseTo(reference - paid, 12);
    expect(s.byModel).toEqual([
      { provider: 'openai', model: 'cheap', calls: 3, tokensIn: 2_000, tokensOut: 200, costUsd: paid },
      { provider: 'ollama', model: 'tiny', calls: 1, tokensIn: 1_000, tokensOut: 100, costUsd: 0 },
    ]);

    const first = g.ledger.since()[0];
    expect(first).toMatchObject({
      mode: 'LIGHT_REASONING',
      agent: 'planet:risk',
      task: 'analysis',
      outcome: 'ok',
    });
    const file = `${h.dbPath}.jsonl`;
    expect(g.ledger.exportJsonl(file)).toBe(6);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.outcome)).toEqual(['ok', 'ok', 'ok', 'cache_hit', 'refused', 'error']);
  });

  it('exposes a metrics snapshot: calls, refusals, cooldowns, budget, cache rate, latency', async () => {
    const g = h.gateway({
      budget: { maxCallsPerHour: 100, reserveCalls: 10 },
      cooldown: { baseMs: 1_000, maxMs: 60_000 },
    });
    for (let i = 0; i < 5; i++) await g.execute({ task: 'analysis', messages: ask(`q${i}`) });
    h.server.script('cheap', [{ status: 429, retryAfter: 30 }]);
    await g.execute({ task: 'analysis', messages: ask('x') }).catch(() => undefined);
    await g.execute({ task: 'analysis', messages: ask('y') }).catch(() => undefined);
    const m = g.metrics();
    expect(m).toMatchObject({
      requests: 7,
      calls: 6,
      callsOk: 5,
      callsFailed: 1,
      refusals: { cooldown: 1 },
      budget: { callsUsed: 6, callsLimit: 100, reserveCalls: 10, exhausted: false },
      cooldownsActive: [{ provider: 'openai', model: 'cheap', strikes: 1, until: h.clock.now() + 30_000 }],
    });
    expect(m.budget.remainingFraction).toBeCloseTo(0.94, 10); // the 429 counts too
    expect(m.latency.count).toBe(6);
    expect(m.latency.buckets.at(-1)).toEqual({ le: Number.POSITIVE_INFINITY, count: 6 });
    expect(m.latency.p50).toBeGreaterThan(0);
    expect(m.latency.p99).toBeGreaterThanOrEqual(m.latency.p50);
  });
});
