import {
  createOfflineGateway,
  EXHAUSTED_BUDGET,
  LLMBudgetExceededError,
  type LLMRequest,
  type LLMResponse,
} from '@orrery/core';
import { describe, expect, it } from 'vitest';
import { WarmUp } from '../src/session/warm-up.ts';

const req: LLMRequest<unknown> = { task: 'planet_analysis', messages: [{ role: 'user', content: 'x' }] };
const answer = (text: string): LLMResponse<unknown> => ({
  text,
  provider: 'p',
  model: 'm',
  latencyMs: 0,
  tokensIn: 1,
  tokensOut: 1,
  costUsd: 0.01,
  cached: false,
  success: true,
});

/** A gateway standing for the live one: it answers, can serve, and counts what reached it. */
function live() {
  const reached: string[] = [];
  const gateway = createOfflineGateway().use({
    execute: async <T>() => {
      reached.push('execute');
      return answer('live') as LLMResponse<T>;
    },
    probe: (p) => {
      reached.push(p.kind);
      return p.kind === 'canServe' ? true : { ...EXHAUSTED_BUDGET, exhausted: false, remainingFraction: 1 };
    },
    cachePut: () => {
      reached.push('cachePut');
      return true;
    },
  });
  return { gateway, reached };
}

describe('WarmUp middleware', () => {
  it('passes everything through while not replaying', async () => {
    const { gateway, reached } = live();
    gateway.use(new WarmUp(null));
    expect((await gateway.execute(req)).text).toBe('live');
    expect(gateway.canServe('planet_analysis')).toBe(true);
    expect(gateway.cachePut(req, { provider: 'p', model: 'm', text: 't', tokensIn: 1, tokensOut: 1 })).toBe(
      true,
    );
    expect(reached).toEqual(['execute', 'canServe', 'cachePut']);
  });

  it('while replaying without recordings: refuses before a call, cannot serve, stores nothing', async () => {
    const { gateway, reached } = live();
    const warm = new WarmUp(null);
    gateway.use(warm);
    warm.replaying = true;
    await expect(gateway.execute(req)).rejects.toBeInstanceOf(LLMBudgetExceededError);
    expect(gateway.canServe('planet_analysis')).toBe(false);
    expect(gateway.cachePut(req, { provider: 'p', model: 'm', text: 't', tokensIn: 1, tokensOut: 1 })).toBe(
      false,
    );
    // the budget is the live one (asked, so a recording sees it), marked exhausted
    expect(gateway.budgetStatus()).toMatchObject({ exhausted: true, remainingFraction: 0 });
    expect(reached).toEqual(['budgetStatus']);
  });

  it('while replaying with recordings: the recorded answers reply, nothing reaches the live gateway', async () => {
    const { gateway, reached } = live();
    const recorded = createOfflineGateway().use({
      execute: async <T>() => answer('recorded') as LLMResponse<T>,
      probe: (p) => (p.kind === 'canServe' ? true : { ...EXHAUSTED_BUDGET }),
    });
    const warm = new WarmUp(recorded);
    gateway.use(warm);
    warm.replaying = true;
    expect((await gateway.execute(req)).text).toBe('recorded');
    expect(gateway.canServe('planet_analysis')).toBe(true);
    expect(gateway.budgetStatus().exhausted).toBe(true);
    expect(reached).toEqual([]);
    warm.replaying = false;
    expect((await gateway.execute(req)).text).toBe('live');
  });
});
