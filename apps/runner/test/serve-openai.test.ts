import { echoResponder } from '@orrery/testkit';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CompatHarness, compatHarness, gate } from './support/compat-harness.ts';
import { parsePrometheus } from './support/prometheus-parse.ts';
import { SECRET_KEY, SERVE_MODELS } from './support/serve-harness.ts';

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
const client = (apiKey = 'not-needed-on-loopback') => new OpenAI({ apiKey, baseURL: `${h.url}/v1` });

/** Orrery's stable code in an OpenAI-shaped error. */
const orreryCode = (e: InstanceType<typeof OpenAI.APIError> | undefined) =>
  (e?.error as { orrery_code?: string } | undefined)?.orrery_code;

async function rejection(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OpenAI.APIError) return err;
    throw err;
  }
  throw new Error('expected the SDK to throw');
}

describe('POST /v1/chat/completions with the openai SDK', () => {
  it('answers a chat completion with usage, through the gateway (ledger row, one provider call)', async () => {
    h.server.script(SERVE_MODELS.execute, [
      { text: 'Hold; risk is elevated.', usage: { input: 21, output: 6 } },
    ]);
    const res = await client().chat.completions.create({
      model: 'orrery/chat',
      messages: [
        { role: 'system', content: 'You are terse.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'BTC fell 2%. ' },
            { type: 'text', text: 'View?' },
          ],
        },
      ],
      max_completion_tokens: 40,
      temperature: 0,
    });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'Hold; risk is elevated.' });
    expect(res.choices[0]?.finish_reason).toBe('stop');
    expect(res.usage).toEqual({ prompt_tokens: 21, completion_tokens: 6, total_tokens: 27 });
    expect(res.model).toBe(`openai/${SERVE_MODELS.execute}`);
    const sent = h.server.requests[0]?.body as {
      messages: { role: string; content: string }[];
      max_completion_tokens: number;
    };
    expect(sent.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'BTC fell 2%. View?' },
    ]);
    // the upstream provider is OpenAI-compatible: the answer cap goes in max_completion_tokens
    expect(sent.max_completion_tokens).toBe(40);
    expect(h.server.requests).toHaveLength(1);
    const row = h.gateway.ledger.since(0).at(-1);
    expect(row).toMatchObject({ task: 'chat', agent: 'http:v1', outcome: 'ok', tokensIn: 21, tokensOut: 6 });
  });

  it('GET /v1/models lists the task aliases and the routed pairs, not the tasks nothing serves', async () => {
    const ids = [];
    for await (const m of client().models.list()) ids.push(m.id);
    expect(ids).toEqual(
      expect.arrayContaining(['orrery/chat', 'orrery/planet_analysis', `openai/${SERVE_MODELS.execute}`]),
    );
    expect(ids).not.toContain('orrery/nowhere');
  });

  it('resolves aliases through the routing policy, pins concrete models, refuses unknown ones with 404', async () => {
    await client().chat.completions.create({
      model: 'orrery/planet_analysis',
      messages: [{ role: 'user', content: 'a' }],
    });
    await client().chat.completions.create({
      model: SERVE_MODELS.planet,
      messages: [{ role: 'user', content: 'b' }],
    });
    expect(h.server.requestsFor(SERVE_MODELS.planet)).toHaveLength(2);
    const err = await rejection(
      client().chat.completions.create({ model: 'gpt-9', messages: [{ role: 'user', content: 'c' }] }),
    );
    expect(err.status).toBe(404);
    expect(err.code).toBe('model_not_found');
    expect(err.param).toBe('model');
    expect(h.server.requestsFor('gpt-9')).toHaveLength(0);
    const badTask = await rejection(
      client().chat.completions.create(
        { model: SERVE_MODELS.planet, messages: [{ role: 'user', content: 'd' }] },
        { headers: { 'x-orrery-task': 'no spaces allowed' } },
      ),
    );
    expect(badTask.status).toBe(400);
    expect(badTask.param).toBe('x-orrery-task');
  });

  it('a bad body is a 400 naming the offending field, OpenAI-shaped', async () => {
    const err = await rejection(
      client().chat.completions.create({
        model: 'orrery/chat',
        messages: [{ role: 'user', content: 'x' }],
        tools: [{ type: 'function', function: { name: 'f' } }],
      }),
    );
    expect(err.status).toBe(400);
    expect(err.type).toBe('invalid_request_error');
    expect(err.message).toMatch(/tools: unknown key/);
    const toolCall = await rejection(
      client().chat.completions.create({
        model: 'orrery/chat',
        messages: [
          { role: 'user', content: 'x' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
        ],
      }),
    );
    expect(toolCall.status).toBe(400);
    expect(toolCall.message).toMatch(/messages\[1\]\.tool_calls: unknown key/);
    expect(h.server.requests).toHaveLength(0);
  });

  it('json_schema: the answer is validated against the schema (422 when it breaks it)', async () => {
    const response_format = {
      type: 'json_schema' as const,
      json_schema: {
        name: 'decision',
        schema: {
          type: 'object',
          properties: { action: { enum: ['buy', 'sell', 'hold'] }, size: { type: 'number' } },
          required: ['action', 'size'],
        },
      },
    };
    h.server.script(SERVE_MODELS.execute, [
      { json: { action: 'buy', size: 0.1 } },
      { json: { action: 'maybe' } },
    ]);
    const ok = await client().chat.completions.create({
      model: 'orrery/chat',
      messages: [{ role: 'user', content: 'decide' }],
      response_format,
    });
    expect(JSON.parse(ok.choices[0]?.message.content ?? '')).toEqual({ action: 'buy', size: 0.1 });
    expect(h.server.requests[0]?.jsonMode).toBe(true);
    const err = await rejection(
      client().chat.completions.create({
        model: 'orrery/chat',
        messages: [{ role: 'user', content: 'd' }],
        response_format,
      }),
    );
    expect(err.status).toBe(422);
    expect(orreryCode(err)).toBe('ORRERY_LLM_RESPONSE_FORMAT');
    expect(h.server.requests).toHaveLength(2);
  });

  it('json_object asks for JSON and refuses an answer that is not an object', async () => {
    h.server.script(SERVE_MODELS.execute, [{ json: { a: 1 } }, { text: 'not json' }]);
    const ok = await client().chat.completions.create({
      model: 'orrery/chat',
      messages: [{ role: 'user', content: 'x' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(ok.choices[0]?.message.content ?? '')).toEqual({ a: 1 });
    const err = await rejection(
      client().chat.completions.create({
        model: 'orrery/chat',
        messages: [{ role: 'user', content: 'y' }],
        response_format: { type: 'json_object' },
      }),
    );
    expect(err.status).toBe(422);
  });
});

describe('the answer cache, opt-in per request', () => {
  it('x-orrery-cache-ttl-ms caches an answer; market features that moved past their thresholds miss it', async () => {
    const ask = (extra: Record<string, unknown>, headers: Record<string, string> = {}) =>
      client()
        .chat.completions.create(
          { model: 'orrery/chat', messages: [{ role: 'user', content: 'BTC view, cached?' }], ...extra },
          { headers },
        )
        .withResponse();
    h.server.script(SERVE_MODELS.execute, [{ text: 'first' }, { text: 'second' }, { text: 'third' }]);
    const a = await ask({}, { 'x-orrery-cache-ttl-ms': '60000' });
    const b = await ask({}, { 'x-orrery-cache-ttl-ms': '60000' });
    expect(b.data.choices[0]?.message.content).toBe('first');
    expect(a.response.headers.get('x-orrery-cached')).toBe('false');
    expect(b.response.headers.get('x-orrery-cached')).toBe('true');
    expect(h.server.requests).toHaveLength(1);

    const material = { features: { price: 100 }, thresholds: { price: 1 } };
    const q = (price: number) =>
      ask({
        messages: [{ role: 'user', content: 'with features' }],
        orrery: { cache: { ttlMs: 60_000, material }, currentFeatures: { price } },
      });
    expect((await q(100)).data.choices[0]?.message.content).toBe('second');
    expect((await q(100.5)).data.choices[0]?.message.content).toBe('second');
    expect((await q(102)).data.choices[0]?.message.content).toBe('third');
    expect(h.server.requests).toHaveLength(3);
    h.clock.advance(60_001);
  });
});

describe('streaming (stream: true)', () => {
  it('streams chunks in OpenAI format ending with usage; the first arrives before the model has answered', async () => {
    const held = gate();
    const text =
      'The trend is up, momentum is fading, volatility is rising; hold the position and tighten the stop.';
    h.server.setDefault(async () => {
      await held.wait;
      return { text, usage: { input: 30, output: 25 } };
    });
    const stream = await client().chat.completions.create({
      model: 'orrery/chat',
      messages: [{ role: 'user', content: 'view?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) {
      // The provider answers only once the client holds the first chunk: a server that waited for the
      // answer before streaming would never get here.
      if (chunks.length === 0) held.release();
      chunks.push(c);
    }
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const pieces = chunks.flatMap((c) => c.choices.map((x) => x.delta.content ?? ''));
    expect(pieces.filter((p) => p !== '').length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(text);
    expect(chunks.find((c) => c.choices[0]?.finish_reason === 'stop')).toBeDefined();
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({ prompt_tokens: 30, completion_tokens: 25, total_tokens: 55 });
    expect(h.server.requests).toHaveLength(1);
  });

  it("passes the model's text on while the provider is still writing it (upstream streamed)", async () => {
    const held = gate();
    const text = 'Momentum is fading fast; trim the position now and wait for the close.';
    h.server.script(SERVE_MODELS.execute, [{ text, usage: { input: 9, output: 14 }, hold: held.wait }]);
    const stream = await client().chat.completions.create({
      model: 'orrery/chat',
      messages: [{ role: 'user', content: 'view?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    let beforeRelease: string | undefined;
    for await (const c of stream) {
      const piece = c.choices[0]?.delta.content ?? '';
      // The provider sent its first word and waits: only a server that passes it on gets here.
      if (beforeRelease === undefined && piece !== '') {
        beforeRelease = piece;
        held.release();
      }
      chunks.push(c);
    }
    expect(beforeRelease).toBe('Momentum ');
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe(text);
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 9, completion_tokens: 14, total_tokens: 23 });
    const sent = h.server.requests[0]?.body as { stream?: unknown; stream_options?: unknown };
    expect(sent).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(h.gateway.ledger.since(0).at(-1)).toMatchObject({ outcome: 'ok', tokensIn: 9, tokensOut: 14 });
  });

  it('the raw stream ends with data: [DONE]', async () => {
    const answered = async () =>
      parsePrometheus(await (await fetch(`${h.url}/metrics`)).text()).find(
        (x) =>
          x.name === 'orrery_http_requests_total' &&
          x.labels.route === '/v1/chat/completions' &&
          x.labels.status === '200',
      )?.value ?? 0;
    const before = await answered();
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'orrery/chat',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
      }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await res.text();
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(body).toContain('"object":"chat.completion.chunk"');
    expect((await answered()) - before).toBe(1); // a stream is counted once, like any answer
  });
});

describe('refusals stop the SDK retry spiral (x-should-retry: false)', () => {
  it('a 429 storm: each call is one HTTP request and the provider is called once in all', async () => {
    h.server.script(SERVE_MODELS.planet, [{ status: 429, retryAfter: 30 }]);
    const before = h.received();
    const errors = [];
    for (let i = 0; i < 5; i++) {
      errors.push(
        await rejection(
          client().chat.completions.create({
            model: SERVE_MODELS.planet,
            messages: [{ role: 'user', content: `q${i}` }],
          }),
        ),
      );
    }
    expect(h.received() - before).toBe(5);
    expect(h.server.requestsFor(SERVE_MODELS.planet)).toHaveLength(1);
    for (const e of errors) {
      expect(e.status).toBe(429);
      expect(e.headers?.get('x-should-retry')).toBe('false');
      expect(Number(e.headers?.get('retry-after'))).toBeGreaterThanOrEqual(30);
      expect(e.code).toBe('rate_limit_exceeded');
    }
    expect(orreryCode(errors[0])).toBe('ORRERY_LLM_RATE_LIMITED');
    expect(orreryCode(errors[1])).toBe('ORRERY_LLM_COOLING_DOWN');
    // A stream asked while the pair cools is refused before any stream opens: a status, not an event.
    const streamErr = await rejection(
      client().chat.completions.create({
        model: SERVE_MODELS.planet,
        messages: [{ role: 'user', content: 's' }],
        stream: true,
      }),
    );
    expect(streamErr.status).toBe(429);
    expect(h.received() - before).toBe(6);
    h.clock.advance(600_001);
  });
});

describe('virtual keys', () => {
  it('a key spends from its own budget; the ledger and the metrics name it, never show it', async () => {
    const { key, record } = h.keys.create({ name: 'agent-a', maxTokens: 100_000 });
    h.server.script(SERVE_MODELS.execute, [{ text: 'ok', usage: { input: 10, output: 5 } }]);
    await client(key).chat.completions.create({
      model: 'orrery/chat',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const row = h.gateway.ledger.since(0).at(-1);
    expect(row).toMatchObject({ agent: 'key:agent-a', chain: record.id, tokensIn: 10, tokensOut: 5 });
    expect(h.gateway.chain(record.id)?.used().tokens).toBe(15);
    h.keys.flush();
    await new Promise((r) => setImmediate(r));
    expect(h.keys.get(record.id)).toMatchObject({ usedTokens: 15, usedCalls: 1 });
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    const s = parsePrometheus(metrics).find(
      (x) =>
        x.name === 'orrery_key_requests_total' && x.labels.key === 'agent-a' && x.labels.outcome === 'ok',
    );
    expect(s?.labels.model).toBe(`openai/${SERVE_MODELS.execute}`);
    expect(s?.value).toBe(1);
    const ledgerText = JSON.stringify(h.gateway.ledger.since(0));
    for (const out of [metrics, ledgerText, h.logs.join('\n')]) {
      expect(out).not.toContain(key);
      expect(out).not.toContain(SECRET_KEY);
    }
  });

  it('--max-calls: the call past the cap is a 429 insufficient_quota, one request, no provider call', async () => {
    const { key } = h.keys.create({ name: 'one-call', maxCalls: 1 });
    const before = h.received();
    await client(key).chat.completions.create({
      model: 'orrery/chat',
      messages: [{ role: 'user', content: '1' }],
    });
    const err = await rejection(
      client(key).chat.completions.create({
        model: 'orrery/chat',
        messages: [{ role: 'user', content: '2' }],
      }),
    );
    expect(err.status).toBe(429);
    expect(err.code).toBe('insufficient_quota');
    expect(err.headers?.get('x-should-retry')).toBe('false');
    expect(orreryCode(err)).toBe('ORRERY_LLM_BUDGET_EXCEEDED');
    expect(h.received() - before).toBe(2);
    expect(h.server.requests).toHaveLength(1);
    expect(h.gateway.ledger.since(0).at(-1)).toMatchObject({ agent: 'key:one-call', outcome: 'refused' });
  });

  it("a key's token budget exhausted mid-stream ends the stream with an error event, and no provider call", async () => {
    const { key } = h.keys.create({ name: 'small', maxTokens: 50 });
    const stream = await client(key).chat.completions.create({
      model: 'orrery/chat',
      messages: [{ role: 'user', content: 'write a long essay' }],
      max_completion_tokens: 500,
      stream: true,
    });
    const seen: string[] = [];
    let failure: InstanceType<typeof OpenAI.APIError> | undefined;
    try {
      for await (const c of stream) seen.push(c.choices[0]?.delta.role ?? '');
    } catch (err) {
      if (!(err instanceof OpenAI.APIError)) throw err;
      failure = err;
    }
    expect(seen).toEqual(['assistant']);
    expect(failure?.code).toBe('insufficient_quota');
    expect(failure?.message).toMatch(/chain budget "key:small"/);
    expect(h.server.requests).toHaveLength(0);
  });

  it('a revoked key is a 401 from its next request on', async () => {
    const { key } = h.keys.create({ name: 'to-revoke' });
    await client(key).chat.completions.create({
      model: 'orrery/chat',
      messages: [{ role: 'user', content: '1' }],
    });
    h.keys.revoke('to-revoke');
    const before = h.received();
    const err = await rejection(
      client(key).chat.completions.create({
        model: 'orrery/chat',
        messages: [{ role: 'user', content: '2' }],
      }),
    );
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/virtual key "to-revoke" was revoked/);
    expect(h.received() - before).toBe(1);
    const unknown = await rejection(
      client('sk-orrery-not-a-key').chat.completions.create({
        model: 'orrery/chat',
        messages: [{ role: 'user', content: '3' }],
      }),
    );
    expect(unknown.status).toBe(401);
    expect(h.server.requests).toHaveLength(1);
  });

  it('a key bound to task types may use only those (403), and lists only those', async () => {
    const { key } = h.keys.create({ name: 'planets-only', tasks: ['planet_analysis'] });
    const err = await rejection(
      client(key).chat.completions.create({
        model: 'orrery/chat',
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect(err.status).toBe(403);
    expect(err.message).toMatch(/may use the tasks planet_analysis/);
    const ids = [];
    for await (const m of client(key).models.list()) ids.push(m.id);
    expect(ids).toEqual(['orrery/planet_analysis']);
    await client(key).chat.completions.create({
      model: 'orrery/planet_analysis',
      messages: [{ role: 'user', content: 'y' }],
    });
    expect(h.server.requestsFor(SERVE_MODELS.planet)).toHaveLength(1);
  });

  it('a key opens child chains down A → B → C through /chains, and a call charged to C counts on every level', async () => {
    const { key, record } = h.keys.create({ name: 'delegator', maxTokens: 10_000 });
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    type Chain = { id: string; parent: string };
    const b = (await (
      await fetch(`${h.url}/chains`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ maxTokens: 5_000, name: 'B' }),
      })
    ).json()) as Chain;
    expect(b.parent).toBe(record.id);
    const c = (await (
      await fetch(`${h.url}/chains`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ maxTokens: 2_000, name: 'C', parent: b.id }),
      })
    ).json()) as Chain;
    expect(c.parent).toBe(b.id);
    h.server.script(SERVE_MODELS.execute, [{ text: 'done', usage: { input: 40, output: 2 } }]);
    await client(key).chat.completions.create(
      { model: 'orrery/chat', messages: [{ role: 'user', content: 'sub-task' }] },
      { headers: { 'x-orrery-chain': c.id } },
    );
    for (const id of [c.id, b.id, record.id]) expect(h.gateway.chain(id)?.used().tokens).toBe(42);
    // Another key sees none of it.
    const other = h.keys.create({ name: 'stranger' }).key;
    const res = await fetch(`${h.url}/chains/${c.id}`, { headers: { authorization: `Bearer ${other}` } });
    expect(res.status).toBe(404);
    const err = await rejection(
      client(other).chat.completions.create(
        { model: 'orrery/chat', messages: [{ role: 'user', content: 'x' }] },
        { headers: { 'x-orrery-chain': c.id } },
      ),
    );
    expect(err.status).toBe(400);
    expect(err.param).toBe('x-orrery-chain');
  });
});

describe('answers never carry secrets', () => {
  it('a provider key or anything shaped like one echoed by the model is redacted', async () => {
    const leak = `here: ${SECRET_KEY} and sk-proj-AbCdEfGhIjKlMnOpQrStUvWx and AKIAIOSFODNN7EXAMPLE`;
    h.server.script(SERVE_MODELS.execute, [{ text: leak }, { text: leak }]);
    const res = await client().chat.completions.create({
      model: 'orrery/chat',
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(res.choices[0]?.message.content).toBe('here: [redacted] and [redacted] and [redacted]');
    const ex = await h.app.inject({
      method: 'POST',
      url: '/execute',
      payload: { task: 'summarise_news', messages: [{ role: 'user', content: 'x' }] },
    });
    expect(ex.json().text).toBe('here: [redacted] and [redacted] and [redacted]');
  });
});
