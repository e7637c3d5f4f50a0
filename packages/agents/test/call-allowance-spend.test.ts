import { LLMResponseFormatError, LLMTimeoutError } from '@orrery/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCallAllowance } from '../src/index.ts';
import { type LlmHarness, llmHarness, MODELS } from './helpers/llm.ts';

let h: LlmHarness;
beforeAll(async () => {
  h = await llmHarness();
});
afterAll(async () => h.close());
beforeEach(() => h.server.reset());

const Answer = z.object({ action: z.enum(['buy', 'sell', 'hold']) });

describe('a call allowance counts what failed calls cost (defect: a bad answer looked free)', () => {
  it('an answer failing the schema counts its tokens and cost, as the gateway ledger does', async () => {
    h.server.script(MODELS.planet, [{ json: { action: 'maybe' }, usage: { input: 300, output: 40 } }]);
    const allowance = createCallAllowance(h.gateway, 'planet:risk', 1);
    const err = await allowance
      .execute({ task: 'planet_analysis', messages: [{ role: 'user', content: 'view?' }], schema: Answer })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LLMResponseFormatError);
    expect(allowance.usage).toMatchObject({ calls: 1, tokensIn: 300, tokensOut: 40 });
    expect(allowance.usage.costUsd).toBeGreaterThan(0);
    const row = h.gateway.ledger.since().at(-1);
    expect(row).toMatchObject({ tokensIn: 300, tokensOut: 40 });
    expect(allowance.usage.costUsd).toBeCloseTo(row?.costUsd ?? -1, 12);
  });

  it('a timeout counts the reservation the gateway charged for it', async () => {
    h.server.script(MODELS.planet, [{ delayMs: 30_000, text: 'late' }]);
    const allowance = createCallAllowance(h.gateway, 'planet:trend', 1);
    const err = await allowance
      .execute({
        task: 'planet_analysis',
        messages: [{ role: 'user', content: 'view?' }],
        timeoutMs: 200,
        maxTokens: 64,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LLMTimeoutError);
    expect(allowance.usage).toMatchObject({ calls: 1, tokensOut: 64 });
    expect(allowance.usage.costUsd).toBe((err as LLMTimeoutError).usage?.costUsd);
  });
});
