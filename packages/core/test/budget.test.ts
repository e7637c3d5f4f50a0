import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LLMBudgetExceededError } from '../src/index.ts';
import { ask, type Harness, harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

describe('global rolling-hour budget', () => {
  it('1000 concurrent requests against K remaining calls make exactly K provider calls', async () => {
    const g = h.gateway({ budget: { maxCallsPerHour: 60, reserveCalls: 0 } });
    for (let i = 0; i < 13; i++) await g.execute({ task: 'analysis', messages: ask(`warm ${i}`) });
    h.server.reset();
    const K = 60 - 13;
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => g.tryExecute({ task: 'analysis', messages: ask(`q${i}`) })),
    );
    expect(results.filter((r) => r.success)).toHaveLength(K);
    expect(h.server.requests).toHaveLength(K);
    expect(results.filter((r) => r.error?.code === 'ORRERY_LLM_BUDGET_EXCEEDED')).toHaveLength(1000 - K);
    expect(g.budgetStatus()).toMatchObject({
      callsUsed: 60,
      callsLimit: 60,
      exhausted: true,
      remainingFraction: 0,
    });
    const refused = g.ledger.since().filter((e) => e.outcome === 'refused');
    expect(refused).toHaveLength(1000 - K);
    expect(refused.every((e) => e.reason === 'budget')).toBe(true);
  });

  it('N concurrent requests below the remaining budget all go through', async () => {
    const g = h.gateway({ budget: { maxCallsPerHour: 500, reserveCalls: 0 } });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => g.tryExecute({ task: 'analysis', messages: ask(`q${i}`) })),
    );
    expect(results.every((r) => r.success)).toBe(true);
    expect(h.server.requests).toHaveLength(200);
  });

  it('keeps the reserve for critical requests', async () => {
    const g = h.gateway({ budget: { maxCallsPerHour: 3, reserveCalls: 1 } });
    await g.execute({ task: 'analysis', messages: ask('1') });
    await g.execute({ task: 'analysis', messages: ask('2') });
    expect(g.canServe('analysis')).toBe(false);
    expect(g.canServe('analysis', { critical: true })).toBe(true);
    const err = await g.execute({ task: 'analysis', messages: ask('3') }).catch((e) => e);
    expect(err).toBeInstanceOf(LLMBudgetExceededError);
    expect((err as LLMBudgetExceededError).budget).toBe('calls');
    await expect(g.execute({ task: 'analysis', messages: ask('4'), critical: true })).resolves.toMatchObject({
      success: true,
    });
    await expect(g.execute({ task: 'analysis', messages: ask('5'), critical: true })).rejects.toBeInstanceOf(
      LLMBudgetExceededError,
    );
    expect(h.server.requests).toHaveLength(3);
  });

  it('frees calls once they are more than an hour old (one-minute resolution, never early)', async () => {
    const g = h.gateway({ budget: { maxCallsPerHour: 2, reserveCalls: 0 } });
    await g.execute({ task: 'analysis', messages: ask('1') });
    await g.execute({ task: 'analysis', messages: ask('2') });
    h.clock.advance(60 * 60_000 - 1);
    expect(g.budgetStatus().callsUsed).toBe(2);
    await expect(g.execute({ task: 'analysis', messages: ask('3') })).rejects.toBeInstanceOf(
      LLMBudgetExceededError,
    );
    h.clock.advance(60_001);
    expect(g.budgetStatus().callsUsed).toBe(0);
    await expect(g.execute({ task: 'analysis', messages: ask('4') })).resolves.toMatchObject({
      success: true,
    });
  });

  it('counts a failed call with its reservation, and settles an answer to the actual usage', async () => {
    const g = h.gateway({ budget: { maxCallsPerHour: 10, reserveCalls: 0 } });
    h.server.script('cheap', [{ status: 500 }, { text: 'ok', usage: { input: 40, output: 2 } }]);
    await g.execute({ task: 'analysis', messages: ask('x'), maxTokens: 100 }).catch(() => undefined);
    // ceil(1/4) + 4 + 100 = 105 estimated; no usage reported, so the reservation stays.
    expect(g.budgetStatus()).toMatchObject({ callsUsed: 1, tokensUsed: 105 });
    await g.execute({ task: 'analysis', messages: ask('x'), maxTokens: 500 });
    expect(g.budgetStatus()).toMatchObject({ callsUsed: 2, tokensUsed: 147 });
  });

  it('refuses by estimated tokens before the call (chars/4 + 4 per message + maxTokens)', async () => {
    const g = h.gateway({ budget: { maxTokensPerHour: 1_000, reserveTokens: 0 } });
    const err = await g
      .execute({ task: 'analysis', messages: ask('a'.repeat(400)), maxTokens: 901 })
      .catch((e) => e);
    expect(err).toBeInstanceOf(LLMBudgetExceededError);
    expect((err as LLMBudgetExceededError).budget).toBe('tokens');
    expect(h.server.requests).toHaveLength(0);
    await expect(
      g.execute({ task: 'analysis', messages: ask('a'.repeat(400)), maxTokens: 896 }),
    ).resolves.toMatchObject({
      success: true,
    });
  });
});
