import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LLMResponseFormatError } from '../src/index.ts';
import { ask, type Harness, harness, OPENAI_KEY } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const Decision = z.object({ action: z.enum(['buy', 'sell', 'hold']), size: z.number() });

describe('Gateway.execute', () => {
  it('answers over the OpenAI wire with usage, cost and a validated JSON answer', async () => {
    h.server.script('cheap', [{ json: { action: 'hold', size: 0 }, usage: { input: 120, output: 30 } }]);
    const g = h.gateway();
    const res = await g.execute({ task: 'planet_analysis', messages: ask('what now?'), schema: Decision });
    expect(res).toMatchObject({
      success: true,
      cached: false,
      provider: 'openai',
      model: 'cheap',
      tokensIn: 120,
      tokensOut: 30,
      parsed: { action: 'hold', size: 0 },
    });
    expect(res.costUsd).toBeCloseTo((120 * 0.0001 + 30 * 0.0004) / 1000, 12);
    const [req] = h.server.requests;
    expect(req?.path).toBe('/v1/chat/completions');
    expect(req?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(req?.jsonMode).toBe(true);
    expect(g.ledger.since()).toMatchObject([{ outcome: 'ok', task: 'planet_analysis', tokensIn: 120 }]);
  });

  it('turns a schema-violating answer into LLMResponseFormatError with the issue paths, recorded in the ledger', async () => {
    h.server.script('cheap', [{ json: { action: 'maybe', size: 'big' } }]);
    const g = h.gateway();
    const err = await g
      .execute({ task: 'planet_analysis', messages: ask('x'), schema: Decision })
      .catch((e) => e);
    expect(err).toBeInstanceOf(LLMResponseFormatError);
    expect((err as LLMResponseFormatError).issues.map((i) => i.path.join('.')).sort()).toEqual([
      'action',
      'size',
    ]);
    expect(g.ledger.since()).toMatchObject([{ outcome: 'error', code: 'ORRERY_LLM_RESPONSE_FORMAT' }]);
  });

  it('tryExecute returns success:false with the code instead of throwing', async () => {
    h.server.script('cheap', [{ status: 500 }]);
    const g = h.gateway();
    const res = await g.tryExecute({ task: 'summarise', messages: ask('x') });
    expect(res.success).toBe(false);
    expect(res.error?.code).toBe('ORRERY_LLM_PROVIDER');
    expect(res.provider).toBe('openai');
  });
});
