import { readFileSync } from 'node:fs';
import { freePort } from '@orrery/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createGateway,
  LLMBudgetExceededError,
  type LLMError,
  LLMPolicyError,
  LLMProviderError,
  LLMRateLimitedError,
  LLMRequestError,
  LLMResponseFormatError,
  LLMTimeoutError,
  ProviderCoolingDownError,
} from '../src/index.ts';
import { ANTHROPIC_KEY, ask, type Harness, harness, OPENAI_KEY } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const Answer = z.object({ answer: z.string() });

describe('every failure is typed and in the ledger', () => {
  it('maps each provider failure to its error class and ledger row, and never retries', async () => {
    const g = h.gateway({ budget: { maxCallsPerHour: 9, reserveCalls: 0 } });
    const pin = (model: string) => ({ target: { provider: 'openai', model } });
    h.server.script('m429', [{ status: 429 }]);
    h.server.script('m500', [{ status: 503, message: 'overloaded' }]);
    h.server.script('mbad', [{ malformed: true }]);
    h.server.script('mschema', [{ text: '```json\n{"answer": 42}\n```' }]);
    h.server.script('mbody', [{ rawBody: '<html>gateway</html>' }]);
    h.server.script('mslow', [{ delayMs: 3_000, json: { answer: 'late' } }]);
    const cases: [object, new (...a: never[]) => LLMError, string][] = [
      [pin('m429'), LLMRateLimitedError, 'ORRERY_LLM_RATE_LIMITED'],
      [pin('m500'), LLMProviderError, 'ORRERY_LLM_PROVIDER'],
      [{ ...pin('mbad'), schema: Answer }, LLMResponseFormatError, 'ORRERY_LLM_RESPONSE_FORMAT'],
      [{ ...pin('mschema'), schema: Answer }, LLMResponseFormatError, 'ORRERY_LLM_RESPONSE_FORMAT'],
      [pin('mbody'), LLMProviderError, 'ORRERY_LLM_PROVIDER'],
      [{ ...pin('mslow'), timeoutMs: 150 }, LLMTimeoutError, 'ORRERY_LLM_TIMEOUT'],
      [pin('m429'), ProviderCoolingDownError, 'ORRERY_LLM_COOLING_DOWN'],
      [{ target: { provider: 'nowhere', model: 'x' } }, LLMRequestError, 'ORRERY_LLM_INVALID_REQUEST'],
      [
        { task: 'trade_decision', target: { provider: 'ollama', model: 'tiny' } },
        LLMPolicyError,
        'ORRERY_LLM_POLICY',
      ],
    ];
    for (const [extra, type, code] of cases) {
      const err = await g.execute({ task: 'analysis', messages: ask('x'), ...extra }).catch((e) => e);
      expect(err, code).toBeInstanceOf(type);
      expect((err as LLMError).code).toBe(code);
      const last = g.ledger.since().at(-1);
      expect(last?.code, code).toBe(code);
      expect(last?.outcome).toBe(
        code.endsWith('COOLING_DOWN') || code.endsWith('REQUEST') || code.endsWith('POLICY')
          ? 'refused'
          : 'error',
      );
    }
    expect(h.server.requests).toHaveLength(6);
    const budget = await g.execute({ task: 'analysis', messages: [] }).catch((e) => e);
    expect(budget).toBeInstanceOf(LLMRequestError);
    expect((budget as LLMRequestError).field).toBe('messages');
    const shape = await g
      .execute({ task: 'analysis', messages: [{ role: 'tool', content: 1 }] as never })
      .catch((e) => e);
    expect((shape as LLMRequestError).field).toBe('messages.0');
    const m = g.metrics();
    expect(m.calls).toBe(6);
    expect(m.errorsByCode).toMatchObject({ ORRERY_LLM_RESPONSE_FORMAT: 2, ORRERY_LLM_PROVIDER: 2 });
    expect(m.refusals).toMatchObject({ cooldown: 1, invalid_request: 3, policy: 1 });
  });

  it('records budget refusals with their reason', async () => {
    const g = h.gateway({ budget: { maxCallsPerHour: 0, reserveCalls: 0 } });
    await expect(g.execute({ task: 'analysis', messages: ask('x') })).rejects.toBeInstanceOf(
      LLMBudgetExceededError,
    );
    expect(g.ledger.since()).toMatchObject([{ outcome: 'refused', reason: 'budget', provider: 'openai' }]);
  });

  it('an unreachable provider is an LLMProviderError', async () => {
    const port = await freePort();
    const g = createGateway({
      providers: { openai: { baseUrl: `http://127.0.0.1:${port}/v1` } },
    });
    try {
      const err = await g.execute({ task: 'analysis', messages: ask('x') }).catch((e) => e);
      expect(err).toBeInstanceOf(LLMProviderError);
      expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    } finally {
      await g.close();
    }
  });

  it('a caller abort is an LLMTimeoutError and makes no second call', async () => {
    const g = h.gateway();
    h.server.script('cheap', [{ delayMs: 5_000, text: 'late' }]);
    const controller = new AbortController();
    const pending = g.execute({ task: 'analysis', messages: ask('x'), signal: controller.signal });
    await waitFor(() => h.server.requests.length === 1);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(LLMTimeoutError);
    expect(h.server.requests).toHaveLength(1);
  });

  it('never lets an API key reach an error, the ledger or its export', async () => {
    const g = h.gateway({
      routing: {
        rules: {
          a: { prefer: [{ provider: 'openai', model: 'k1' }] },
          b: { prefer: [{ provider: 'anthropic', model: 'k2' }] },
        },
      },
    });
    h.server.script('k1', [{ status: 401, message: `Incorrect API key provided: ${OPENAI_KEY}` }]);
    h.server.script('k2', [{ status: 401, message: `invalid x-api-key ${ANTHROPIC_KEY}` }]);
    const e1 = await g.execute({ task: 'a', messages: ask('x') }).catch((e) => e);
    const e2 = await g.execute({ task: 'b', messages: ask('x') }).catch((e) => e);
    expect(h.server.requestsFor('k1')[0]?.headers.authorization).toContain(OPENAI_KEY);
    const file = `${h.dbPath}.jsonl`;
    g.ledger.exportJsonl(file);
    const everything = [
      e1.message,
      e2.message,
      JSON.stringify(e1),
      JSON.stringify(e2),
      JSON.stringify(g.ledger.since()),
      readFileSync(file, 'utf8'),
    ].join('\n');
    expect(everything).toContain('[redacted]');
    expect(everything).not.toContain(OPENAI_KEY);
    expect(everything).not.toContain(ANTHROPIC_KEY);
  });

  it('strips a ```json fence before validating', async () => {
    const g = h.gateway();
    h.server.script('cheap', [{ text: '```json\n{"answer": "yes"}\n```' }]);
    await expect(g.execute({ task: 'analysis', messages: ask('x'), schema: Answer })).resolves.toMatchObject({
      parsed: { answer: 'yes' },
    });
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
