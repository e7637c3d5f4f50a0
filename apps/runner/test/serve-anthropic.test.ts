import Anthropic from '@anthropic-ai/sdk';
import { echoResponder } from '@orrery/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CompatHarness, compatHarness, gate } from './support/compat-harness.ts';
import { SERVE_MODELS } from './support/serve-harness.ts';

let h: CompatHarness;
beforeAll(async () => {
  h = await compatHarness();
});
afterAll(async () => h.close());
beforeEach(() => {
  h.server.reset();
  h.server.setDefault(echoResponder);
});

/** The official SDK pointed at the server, its default retries (2) left on. */
const client = (apiKey = 'not-needed-on-loopback') => new Anthropic({ apiKey, baseURL: h.url });

async function rejection(p: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Anthropic.APIError) return err;
    throw err;
  }
  throw new Error('expected the SDK to throw');
}

describe('POST /v1/messages with the @anthropic-ai/sdk client', () => {
  it('answers a message with usage, system first, through the gateway', async () => {
    h.server.script(SERVE_MODELS.execute, [{ text: 'Reduce exposure.', usage: { input: 18, output: 4 } }]);
    const msg = await client().messages.create({
      model: 'orrery/chat',
      max_tokens: 64,
      system: 'You are a risk officer.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Drawdown is 12%.' }] }],
    });
    expect(msg.type).toBe('message');
    expect(msg.role).toBe('assistant');
    expect(msg.content).toEqual([{ type: 'text', text: 'Reduce exposure.' }]);
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.usage).toMatchObject({ input_tokens: 18, output_tokens: 4 });
    const sent = h.server.requests[0]?.body as {
      messages: { role: string; content: string }[];
      max_completion_tokens: number;
    };
    expect(sent.messages[0]).toEqual({ role: 'system', content: 'You are a risk officer.' });
    // the upstream provider is OpenAI-compatible: the answer cap goes in max_completion_tokens
    expect(sent.max_completion_tokens).toBe(64);
  });

  it('streams the Messages events; the first arrives before the model has answered', async () => {
    const held = gate();
    const text = 'Volatility doubled this week; cut the position by half and widen nothing.';
    h.server.setDefault(async () => {
      await held.wait;
      return { text, usage: { input: 12, output: 15 } };
    });
    const stream = await client().messages.create({
      model: 'orrery/chat',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'view?' }],
      stream: true,
    });
    const types: string[] = [];
    let out = '';
    let outputTokens = 0;
    for await (const ev of stream) {
      if (types.length === 0) held.release();
      types.push(ev.type);
      if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') out += ev.delta.text;
      if (ev.type === 'message_delta') outputTokens = ev.usage.output_tokens;
    }
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    expect(types.filter((t) => t === 'content_block_delta').length).toBeGreaterThan(1);
    expect(out).toBe(text);
    expect(outputTokens).toBe(15);
  });

  it("the SDK's stream helper assembles the final message", async () => {
    h.server.script(SERVE_MODELS.execute, [{ text: 'all good', usage: { input: 3, output: 2 } }]);
    const final = await client()
      .messages.stream({ model: 'orrery/chat', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .finalMessage();
    expect(final.content).toMatchObject([{ type: 'text', text: 'all good' }]);
    expect(final.usage.output_tokens).toBe(2);
  });

  it('a 429 storm: one HTTP request per call, one provider call in all, Anthropic-shaped errors', async () => {
    h.server.script(SERVE_MODELS.planet, [{ status: 429, retryAfter: 20 }]);
    const before = h.received();
    for (let i = 0; i < 3; i++) {
      const err = await rejection(
        client().messages.create({
          model: SERVE_MODELS.planet,
          max_tokens: 10,
          messages: [{ role: 'user', content: `${i}` }],
        }),
      );
      expect(err.status).toBe(429);
      expect(err.headers?.get('x-should-retry')).toBe('false');
      expect((err.error as { type: string; error: { type: string } }).error.type).toBe('rate_limit_error');
    }
    expect(h.received() - before).toBe(3);
    expect(h.server.requestsFor(SERVE_MODELS.planet)).toHaveLength(1);
    h.clock.advance(600_001);
  });

  it('takes a virtual key as x-api-key; the ledger names it; a revoked one is a 401', async () => {
    const { key } = h.keys.create({ name: 'claude-agent' });
    await client(key).messages.create({
      model: 'orrery/chat',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(h.gateway.ledger.since(0).at(-1)?.agent).toBe('key:claude-agent');
    expect(h.server.requests.at(-1)?.headers['x-api-key']).toBeUndefined();
    h.keys.revoke('claude-agent');
    const err = await rejection(
      client(key).messages.create({
        model: 'orrery/chat',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'y' }],
      }),
    );
    expect(err.status).toBe(401);
    expect((err.error as { error: { type: string } }).error.type).toBe('authentication_error');
  });

  it('output_format json_schema validates the answer; an unknown model is a not_found_error', async () => {
    h.server.script(SERVE_MODELS.execute, [{ json: { signal: 0.3 } }]);
    const res = await fetch(`${h.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({
        model: 'orrery/chat',
        max_tokens: 20,
        messages: [{ role: 'user', content: 'signal?' }],
        output_format: {
          type: 'json_schema',
          schema: { type: 'object', properties: { signal: { type: 'number' } }, required: ['signal'] },
        },
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { content: { text: string }[] };
    expect(JSON.parse(body.content[0]?.text ?? '')).toEqual({ signal: 0.3 });
    const err = await rejection(
      client().messages.create({
        model: 'claude-9',
        max_tokens: 10,
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect(err.status).toBe(404);
    expect((err.error as { error: { type: string } }).error.type).toBe('not_found_error');
  });
});
