import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetTracker, LLMBudgetExceededError } from '../src/index.ts';
import { ask, type Harness, harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

// ask('x') with maxTokens 50: estimate = ceil(1/4) + 4 + 50 = 55 tokens; each answer uses exactly that.
const call = { task: 'analysis', messages: ask('x'), maxTokens: 50 } as const;
const usage = { input: 5, output: 50 };

describe('BudgetTracker along a delegation chain (FR-4)', () => {
  it('holds a cap across three levels: a child cannot spend beyond any ancestor', async () => {
    const g = h.gateway();
    h.server.setDefault(() => ({ text: 'ok', usage }));
    const sun = g.openChain({ name: 'sun', maxTokens: 1_000 });
    const planet = sun.child({ name: 'planet:risk', maxTokens: 600 });
    const delegate = planet.child({ name: 'delegate:search', maxTokens: 300 });
    expect(g.chain(delegate.id)).toBe(delegate);

    for (let i = 0; i < 5; i++) await g.execute({ ...call, budget: delegate });
    const err = await g.execute({ ...call, budget: delegate }).catch((e) => e);
    expect(err).toBeInstanceOf(LLMBudgetExceededError);
    expect((err as LLMBudgetExceededError).budget).toBe('chain');
    expect((err as Error).message).toContain('delegate:search');
    expect(delegate.used().tokens).toBe(275);
    expect(planet.used().tokens).toBe(275);
    expect(sun.used().tokens).toBe(275);

    for (let i = 0; i < 5; i++) await g.execute({ ...call, budget: planet });
    await expect(g.execute({ ...call, budget: planet })).rejects.toThrow(/planet:risk/);
    expect(planet.remaining().tokens).toBe(50);
    expect(delegate.remaining().tokens).toBe(25);

    for (let i = 0; i < 8; i++) await g.execute({ ...call, budget: sun });
    await expect(g.execute({ ...call, budget: sun })).rejects.toThrow(/"sun"/);
    expect(sun.used().tokens).toBe(990);
    expect(h.server.requests).toHaveLength(18);
    const refusals = g.ledger.since().filter((e) => e.reason === 'chain');
    expect(refusals.map((e) => e.chain)).toEqual([delegate.id, planet.id, sun.id]);
  });

  it('a grandchild is limited by its grandparent even with a larger cap of its own', async () => {
    const g = h.gateway();
    h.server.setDefault(() => ({ text: 'ok', usage }));
    const root = new BudgetTracker({ name: 'root', maxTokens: 100 });
    const leaf = root.child({ name: 'mid', maxTokens: 10_000 }).child({ name: 'leaf', maxTokens: 10_000 });
    await g.execute({ ...call, budget: leaf });
    await expect(g.execute({ ...call, budget: leaf })).rejects.toThrow(/"root"/);
    expect(h.server.requests).toHaveLength(1);
  });

  it('reserves exactly under concurrency: holds estimates until the calls settle', async () => {
    const g = h.gateway();
    h.server.setDefault(() => ({ text: 'ok', usage: { input: 10, output: 10 } }));
    const chain = g.openChain({ name: 'sun', maxTokens: 200 });
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        g.tryExecute({ ...call, budget: chain.child({ name: 'p', maxTokens: 1e9 }) }),
      ),
    );
    expect(results.filter((r) => r.success)).toHaveLength(3); // 3 × 55 ≤ 200 < 4 × 55
    expect(h.server.requests).toHaveLength(3);
    expect(chain.used().tokens).toBe(60);
    expect(chain.held().tokens).toBe(0);
  });

  it('caps cost too, and charges a failed call its reservation (no usage was reported)', async () => {
    const g = h.gateway();
    h.server.script('smart', [{ status: 500 }]);
    const chain = g.openChain({ name: 'sun', maxTokens: 1e6, maxCostUsd: 0.0017 });
    await g
      .execute({ ...call, target: { provider: 'openai', model: 'smart' }, budget: chain })
      .catch(() => undefined);
    expect(chain.held()).toEqual({ tokens: 0, costUsd: 0 });
    // smart costs up to 0.015 / 1k: 55 tokens estimated ≈ $0.000825 — kept for the failed call.
    expect(chain.used().tokens).toBe(55);
    expect(chain.used().costUsd).toBeCloseTo(0.000825, 9);
    h.server.setDefault(() => ({ text: 'ok', usage: { input: 30, output: 25 } }));
    await g.execute({ ...call, target: { provider: 'openai', model: 'smart' }, budget: chain });
    await expect(
      g.execute({ ...call, target: { provider: 'openai', model: 'smart' }, budget: chain }),
    ).rejects.toBeInstanceOf(LLMBudgetExceededError);
    expect(h.server.requests).toHaveLength(2);
  });

  it('never lets settled usage of any level exceed its cap when estimates are exact (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 3, maxLength: 3 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 200 })), {
          maxLength: 60,
        }),
        (caps, charges) => {
          const a = new BudgetTracker({ name: 'a', maxTokens: caps[0] as number });
          const b = a.child({ name: 'b', maxTokens: caps[1] as number });
          const c = b.child({ name: 'c', maxTokens: caps[2] as number });
          const levels = [a, b, c];
          for (const [level, tokens] of charges) {
            try {
              (levels[level] as BudgetTracker).reserve(tokens, 0).settle(tokens, 0);
            } catch (err) {
              if (!(err instanceof LLMBudgetExceededError)) throw err;
            }
          }
          for (const t of levels) expect(t.used().tokens).toBeLessThanOrEqual(t.maxTokens);
          expect(a.used().tokens).toBeGreaterThanOrEqual(b.used().tokens);
          expect(b.used().tokens).toBeGreaterThanOrEqual(c.used().tokens);
        },
      ),
    );
  });
});
