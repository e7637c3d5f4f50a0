import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createGateway,
  gatewayWarnings,
  type LLMError,
  LLMErrorCode,
  LLMProviderError,
  LLMResponseFormatError,
  LLMTruncatedError,
  parseGatewayConfig,
  RoutingPolicy,
} from '../src/index.ts';
import { ask, type Harness, harness, loopbackConfig } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const Decision = z.strictObject({ action: z.enum(['buy', 'sell', 'hold']), size: z.number() });
const pin = (model: string, provider = 'openai') => ({ target: { provider, model } });

/** An OpenAI chat completion body, as the API returns it. */
function completion(content: string, extra: { finish?: string; usage?: Record<string, unknown> } = {}) {
  return JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: extra.finish ?? 'stop' }],
    usage: extra.usage ?? { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  });
}

describe('OpenAI wire: structured outputs, max_completion_tokens, temperature', () => {
  it('sends the answer schema as response_format json_schema {name, schema, strict}', async () => {
    const g = h.gateway();
    h.server.script('cheap', [{ json: { action: 'hold', size: 0 } }]);
    const res = await g.execute({ task: 'trade_decision', messages: ask('decide'), schema: Decision });
    expect(res.parsed).toEqual({ action: 'hold', size: 0 });
    const body = h.server.requests[0]?.body as Record<string, unknown>;
    expect(body.response_format).toEqual({
      type: 'json_schema',
      json_schema: {
        name: 'trade_decision',
        strict: true,
        schema: {
          type: 'object',
          properties: { action: { type: 'string', enum: ['buy', 'sell', 'hold'] }, size: { type: 'number' } },
          required: ['action', 'size'],
          additionalProperties: false,
        },
      },
    });
    expect(body.max_completion_tokens).toBe(1024);
    expect(body).not.toHaveProperty('max_tokens');
    expect(body.temperature).toBe(0.2);
  });

  it('strict is false when the schema has optional fields; json_object and max_tokens are per-provider options', async () => {
    const g = h.gateway();
    const Loose = z.object({ action: z.string(), note: z.string().optional() });
    h.server.script('cheap', [{ json: { action: 'hold' } }]);
    await g.execute({ task: 'analysis', messages: ask('x'), schema: Loose });
    const first = h.server.requests[0]?.body as { response_format: { json_schema: { strict: boolean } } };
    expect(first.response_format.json_schema.strict).toBe(false);

    const config = loopbackConfig(h.server);
    const legacy = createGateway(
      {
        ...config,
        providers: {
          ...config.providers,
          openai: {
            kind: 'openai',
            baseUrl: `${h.server.url}/v1`,
            jsonMode: 'json_object',
            maxTokensField: 'max_tokens',
          },
        },
      },
      { clock: h.clock },
    );
    try {
      h.server.script('cheap', [{ json: { action: 'hold', size: 1 } }]);
      await legacy.execute({ task: 'analysis', messages: ask('x'), schema: Decision, maxTokens: 77 });
      const body = h.server.requests[1]?.body as Record<string, unknown>;
      expect(body.response_format).toEqual({ type: 'json_object' });
      expect(body.max_tokens).toBe(77);
      expect(body).not.toHaveProperty('max_completion_tokens');
    } finally {
      await legacy.close();
    }
  });

  it('a local server gets max_tokens; a reasoning model gets no temperature', async () => {
    const g = h.gateway();
    await g.execute({ task: 'analysis', messages: ask('x'), ...pin('tiny', 'ollama') });
    await g.execute({ task: 'analysis', messages: ask('y'), ...pin('o3-mini') });
    const [local, reasoning] = h.server.requests.map((r) => r.body as Record<string, unknown>);
    expect(local?.max_tokens).toBe(1024);
    expect(reasoning).not.toHaveProperty('temperature');
    expect(reasoning?.max_completion_tokens).toBe(1024);
  });

  it('Anthropic: temperature is kept within 0–1', async () => {
    const g = h.gateway();
    await g.execute({
      task: 'analysis',
      messages: ask('x'),
      temperature: 1.7,
      ...pin('claude', 'anthropic'),
    });
    expect(h.server.requests[0]?.body).toMatchObject({ temperature: 1 });
  });
});

describe('answers: truncation, cached tokens, error bodies', () => {
  it('finish_reason "length" is ORRERY_LLM_TRUNCATED (not "not JSON"), and its tokens are paid', async () => {
    const g = h.gateway();
    h.server.script('cheap', [
      {
        rawBody: completion('{"action": "bu', {
          finish: 'length',
          usage: { prompt_tokens: 30, completion_tokens: 16 },
        }),
      },
    ]);
    const err = (await g
      .execute({ task: 'analysis', messages: ask('x'), schema: Decision, maxTokens: 16 })
      .catch((e) => e)) as LLMTruncatedError;
    expect(err).toBeInstanceOf(LLMTruncatedError);
    expect(err.code).toBe(LLMErrorCode.TRUNCATED);
    expect(err.usage).toMatchObject({ tokensIn: 30, tokensOut: 16 });
    expect(err.usage?.costUsd).toBeGreaterThan(0);
    const row = g.ledger.since().at(-1);
    expect(row).toMatchObject({
      outcome: 'error',
      code: LLMErrorCode.TRUNCATED,
      tokensIn: 30,
      tokensOut: 16,
    });
  });

  it("Anthropic's stop_reason max_tokens is truncated too; its cache tokens are counted and priced", async () => {
    const g = h.gateway({});
    const body = (stop: string) =>
      JSON.stringify({
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude',
        content: [{ type: 'text', text: 'ok' }],
        stop_reason: stop,
        usage: {
          input_tokens: 100,
          output_tokens: 10,
          cache_read_input_tokens: 900,
          cache_creation_input_tokens: 0,
        },
      });
    h.server.script('claude', [{ rawBody: body('max_tokens') }, { rawBody: body('end_turn') }]);
    const err = await g
      .execute({ task: 'analysis', messages: ask('x'), ...pin('claude', 'anthropic') })
      .catch((e) => e);
    expect(err).toBeInstanceOf(LLMTruncatedError);
    const res = await g.execute({ task: 'analysis', messages: ask('y'), ...pin('claude', 'anthropic') });
    expect(res.tokensIn).toBe(1_000);
    // anthropic/claude: $0.001 / 1k input (cache reads at the input price unless priced), $0.005 / 1k output.
    expect(res.costUsd).toBeCloseTo((1_000 * 0.001 + 10 * 0.005) / 1000, 12);
  });

  it('OpenAI cached prompt tokens are priced at cachedInputPer1k', async () => {
    const config = loopbackConfig(h.server);
    const g = createGateway(
      {
        ...config,
        prices: {
          ...config.prices,
          'openai/cheap': { inputPer1k: 0.001, outputPer1k: 0.002, cachedInputPer1k: 0.0005 },
        },
      },
      { clock: h.clock },
    );
    try {
      h.server.script('cheap', [
        {
          rawBody: completion('hi', {
            usage: {
              prompt_tokens: 1_000,
              completion_tokens: 100,
              prompt_tokens_details: { cached_tokens: 800 },
            },
          }),
        },
      ]);
      const res = await g.execute({ task: 'analysis', messages: ask('x') });
      expect(res.tokensIn).toBe(1_000);
      expect(res.costUsd).toBeCloseTo((200 * 0.001 + 800 * 0.0005 + 100 * 0.002) / 1000, 12);
    } finally {
      await g.close();
    }
  });

  it('provider error bodies are parsed into the typed error (error.type, error.code)', async () => {
    const g = h.gateway();
    h.server.script('cheap', [
      {
        status: 404,
        rawBody: JSON.stringify({
          error: {
            message: 'The model `cheap` does not exist',
            type: 'invalid_request_error',
            code: 'model_not_found',
          },
        }),
      },
    ]);
    const err = (await g
      .execute({ task: 'analysis', messages: ask('x') })
      .catch((e) => e)) as LLMProviderError;
    expect(err).toBeInstanceOf(LLMProviderError);
    expect(err).toMatchObject({
      status: 404,
      providerType: 'invalid_request_error',
      providerCode: 'model_not_found',
    });
    expect(err.message).toBe(
      'openai/cheap answered HTTP 404: invalid_request_error/model_not_found: The model `cheap` does not exist; no retry',
    );
  });

  it('a badly formatted answer is paid for: tryExecute and the error carry its tokens and cost', async () => {
    const g = h.gateway();
    h.server.script('cheap', [{ text: 'not json at all', usage: { input: 120, output: 30 } }]);
    const res = await g.tryExecute({ task: 'analysis', messages: ask('x'), schema: Decision });
    expect(res).toMatchObject({
      success: false,
      tokensIn: 120,
      tokensOut: 30,
      error: { code: LLMErrorCode.RESPONSE_FORMAT },
    });
    expect(res.costUsd).toBeCloseTo((120 * 0.0001 + 30 * 0.0004) / 1000, 12);
    h.server.script('cheap', [{ text: 'nope', usage: { input: 5, output: 5 } }]);
    const err = (await g
      .execute({ task: 'analysis', messages: ask('y'), schema: Decision })
      .catch((e) => e)) as LLMError;
    expect(err).toBeInstanceOf(LLMResponseFormatError);
    expect(err.usage).toMatchObject({ tokensIn: 5, tokensOut: 5 });
  });
});

describe('configuration: keys from the environment, prices, judgment and backup tasks', () => {
  it('apiKey: { env: NAME } reads the key from the environment; unset, it is a warning, never a file value', async () => {
    const input = {
      providers: {
        groq: { kind: 'openai' as const, baseUrl: `${h.server.url}/v1`, apiKey: { env: 'GROQ_KEY' } },
      },
      prices: { 'groq/llama': { inputPer1k: 0.0001, outputPer1k: 0.0001 } },
      routing: { default: { prefer: [{ provider: 'groq', model: 'llama' }] } },
    };
    const withKey = parseGatewayConfig(input, { GROQ_KEY: 'gsk-secret-123' });
    expect(withKey.providers.groq).toMatchObject({ apiKey: 'gsk-secret-123', apiKeyEnv: 'GROQ_KEY' });
    const g = createGateway(withKey, { clock: h.clock });
    try {
      await g.execute({ task: 'analysis', messages: ask('x') });
      expect(h.server.requests[0]?.headers.authorization).toBe('Bearer gsk-secret-123');
    } finally {
      await g.close();
    }
    const without = parseGatewayConfig(input, {});
    expect(without.providers.groq?.apiKey).toBeUndefined();
    expect(gatewayWarnings(without)).toContain(
      'provider groq: its key comes from $GROQ_KEY, which is not set',
    );
    expect(() =>
      parseGatewayConfig({ providers: { x: { baseUrl: 'http://a', apiKey: { env: 'not a name' } } } }),
    ).toThrow(/providers\.x\.apiKey/);
  });

  it('an unpriced paid model is a startup warning naming it, and its calls are flagged, not silently $0', async () => {
    const g = h.gateway({
      routing: { rules: { analysis: { prefer: [{ provider: 'openai', model: 'mystery' }] } } },
    });
    expect(g.warnings.some((w) => w.startsWith('no price for openai/mystery'))).toBe(true);
    await g.execute({ task: 'analysis', messages: ask('x') });
    expect(g.metrics().unpricedCalls).toBe(1);
    expect(g.ledger.since().at(-1)?.message).toMatch(/unpriced: openai\/mystery/);
  });

  it('sun_reasoning_backup is a judgment task by default: never the local model', () => {
    const config = parseGatewayConfig(loopbackConfig(h.server));
    const policy = new RoutingPolicy(config);
    expect(policy.classify('sun_reasoning_backup')).toBe('judgment');
    expect(() =>
      parseGatewayConfig(
        loopbackConfig(h.server, {
          routing: { rules: { sun_reasoning_backup: { prefer: [{ provider: 'ollama', model: 'tiny' }] } } },
        }),
      ),
    ).toThrow(/judgment task may not prefer the local provider/);
  });

  it('the backup sun never uses the sun’s provider+model: refused in config, off (with a warning) by default', async () => {
    expect(() =>
      parseGatewayConfig(
        loopbackConfig(h.server, {
          routing: {
            rules: {
              sun_reasoning: { prefer: [{ provider: 'openai', model: 'cheap' }] },
              sun_reasoning_backup: { prefer: [{ provider: 'openai', model: 'cheap' }] },
            },
          },
        }),
      ),
    ).toThrow(/routing\.rules\.sun_reasoning_backup\.prefer.*retry in disguise/);

    // Default routing: both tasks would get openai/cheap — the backup has no candidate, so no call.
    const g = h.gateway();
    expect(g.warnings.some((w) => w.startsWith('sun_reasoning_backup has no provider/model distinct'))).toBe(
      true,
    );
    expect(g.canServe('sun_reasoning_backup')).toBe(false);
    const err = await g.execute({ task: 'sun_reasoning_backup', messages: ask('x') }).catch((e) => e);
    expect((err as LLMError).code).toBe(LLMErrorCode.POLICY);
    expect(h.server.requests).toHaveLength(0);

    // With fallback candidates, the backup keeps only those the sun does not use.
    const two = h.gateway({
      routing: {
        default: { prefer: [{ provider: 'openai', model: 'cheap' }] },
        rules: {
          sun_reasoning_backup: {
            prefer: [
              { provider: 'openai', model: 'cheap' },
              { provider: 'anthropic', model: 'claude' },
            ],
          },
        },
      },
    });
    expect(two.candidatesFor('sun_reasoning_backup')).toEqual([{ provider: 'anthropic', model: 'claude' }]);
  });
});
