import { planetAnalysisSchema } from '@orrery/agents';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parsePrometheus } from './support/prometheus-parse.ts';
import {
  executeBody,
  PLANET_ANSWER,
  SECRET_KEY,
  SERVE_MODELS,
  type ServeHarness,
  serveHarness,
  syntheticBars,
} from './support/serve-harness.ts';

let h: ServeHarness;
beforeAll(async () => {
  h = await serveHarness();
});
afterAll(async () => h.close());
beforeEach(() => h.server.reset());

const post = (url: string, payload: unknown) =>
  h.app.inject({ method: 'POST', url, payload: payload as object });

describe('POST /execute', () => {
  it('answers an LLMResponse through the gateway', async () => {
    h.server.script(SERVE_MODELS.execute, [{ text: 'the answer', usage: { input: 12, output: 3 } }]);
    const res = await post('/execute', executeBody());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      success: true,
      text: 'the answer',
      provider: 'openai',
      model: SERVE_MODELS.execute,
      tokensIn: 12,
      tokensOut: 3,
      cached: false,
    });
    expect(h.server.requestsFor(SERVE_MODELS.execute)).toHaveLength(1);
  });

  it('validates the answer against a JSON Schema and returns it parsed', async () => {
    h.server.script(SERVE_MODELS.execute, [{ json: { action: 'buy', size: 0.2 } }]);
    const answerSchema = {
      type: 'object',
      properties: {
        action: { enum: ['buy', 'sell', 'hold'] },
        size: { type: 'number', minimum: 0, maximum: 1 },
      },
      required: ['action', 'size'],
    };
    const res = await post('/execute', executeBody({ answerSchema, maxTokens: 50, temperature: 0 }));
    expect(res.statusCode).toBe(200);
    expect(res.json().parsed).toEqual({ action: 'buy', size: 0.2 });
    const sent = h.server.requests[0]?.body as { max_completion_tokens?: number; temperature?: number };
    expect(sent).toMatchObject({ max_completion_tokens: 50, temperature: 0 });
    expect(h.server.requests[0]?.jsonMode).toBe(true);
  });

  it('an answer breaking the schema is 422 ORRERY_LLM_RESPONSE_FORMAT naming the path', async () => {
    h.server.script(SERVE_MODELS.execute, [{ json: { action: 'maybe' }, usage: { input: 40, output: 7 } }]);
    const answerSchema = {
      type: 'object',
      properties: { action: { enum: ['buy', 'sell'] } },
      required: ['action'],
    };
    const res = await post('/execute', executeBody({ answerSchema }));
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.success).toBe(false);
    // The bad answer was paid for: its tokens and cost are in the body, not 0 / $0.
    expect(body).toMatchObject({ tokensIn: 40, tokensOut: 7 });
    expect(body.costUsd).toBeGreaterThan(0);
    expect(body.error.code).toBe('ORRERY_LLM_RESPONSE_FORMAT');
    expect(body.error.issues[0].path).toBe('action');
  });

  it('a task with no allowed candidate is 403 ORRERY_LLM_POLICY, no call made', async () => {
    const res = await post('/execute', executeBody({ task: 'nowhere' }));
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('ORRERY_LLM_POLICY');
    expect(h.server.requests).toHaveLength(0);
  });

  it('a provider 502 is a 502 ORRERY_LLM_PROVIDER', async () => {
    h.server.script(SERVE_MODELS.execute, [{ status: 503, message: 'overloaded upstream' }]);
    const res = await post('/execute', executeBody());
    expect(res.statusCode).toBe(502);
    expect(res.json().error.code).toBe('ORRERY_LLM_PROVIDER');
  });

  it('a provider 429 is 429 with Retry-After; the next request is refused while cooling, with the remaining wait', async () => {
    const own = await serveHarness();
    try {
      own.server.script(SERVE_MODELS.execute, [{ status: 429, retryAfter: 90 }]);
      const first = await own.app.inject({ method: 'POST', url: '/execute', payload: executeBody() });
      expect(first.statusCode).toBe(429);
      expect(first.json().error.code).toBe('ORRERY_LLM_RATE_LIMITED');
      expect(first.headers['retry-after']).toBe('90');
      own.clock.advance(30_000);
      const second = await own.app.inject({ method: 'POST', url: '/execute', payload: executeBody() });
      expect(second.statusCode).toBe(429);
      expect(second.json().error.code).toBe('ORRERY_LLM_COOLING_DOWN');
      expect(second.headers['retry-after']).toBe('60');
      expect(own.server.requests).toHaveLength(1);
    } finally {
      await own.close();
    }
  });

  it('the global hourly budget refuses with 429, Retry-After 60 and budget "calls"', async () => {
    const own = await serveHarness({ gateway: { budget: { maxCallsPerHour: 1, reserveCalls: 0 } } });
    try {
      expect(
        (await own.app.inject({ method: 'POST', url: '/execute', payload: executeBody() })).statusCode,
      ).toBe(200);
      const res = await own.app.inject({ method: 'POST', url: '/execute', payload: executeBody() });
      expect(res.statusCode).toBe(429);
      expect(res.headers['retry-after']).toBe('60');
      expect(res.json().error).toMatchObject({ code: 'ORRERY_LLM_BUDGET_EXCEEDED', budget: 'calls' });
    } finally {
      await own.close();
    }
  });

  it('caches over HTTP when asked: the second identical request is a cache hit', async () => {
    h.server.script(SERVE_MODELS.execute, [{ text: 'cached answer' }]);
    const body = executeBody({ messages: [{ role: 'user', content: 'cache me' }], cache: { ttlMs: 60_000 } });
    const a = await post('/execute', body);
    const b = await post('/execute', body);
    expect(a.json().cached).toBe(false);
    expect(b.json()).toMatchObject({ cached: true, text: 'cached answer', success: true });
    expect(h.server.requests).toHaveLength(1);
  });
});

describe('bad requests are 4xx naming what is wrong', () => {
  it('a body breaking the schema is 400 naming the path', async () => {
    const res = await post('/execute', { task: 'x', messages: [{ role: 'robot', content: 'hi' }] });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({
      success: false,
      error: { code: 'ORRERY_HTTP_INVALID_BODY', path: 'messages[0].role' },
    });
    expect(body.error.message).toContain('messages[0].role');
  });

  it('an unknown key is refused by name', async () => {
    const res = await post('/execute', executeBody({ max_tokens: 5 }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.path).toBe('max_tokens');
  });

  it('an unsupported JSON Schema is 400 at answerSchema', async () => {
    const res = await post('/execute', executeBody({ answerSchema: { not: { type: 'string' } } }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.path).toBe('answerSchema');
  });

  it('invalid JSON is 400, a missing body 400, text/plain 415', async () => {
    const broken = await h.app.inject({
      method: 'POST',
      url: '/execute',
      headers: { 'content-type': 'application/json' },
      payload: '{"task": ',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('ORRERY_HTTP_INVALID_BODY');
    const none = await h.app.inject({ method: 'POST', url: '/execute' });
    expect(none.statusCode).toBe(400);
    const text = await h.app.inject({
      method: 'POST',
      url: '/execute',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('ORRERY_HTTP_UNSUPPORTED_MEDIA_TYPE');
  });

  it('a body over the limit is 413', async () => {
    const own = await serveHarness({ app: { bodyLimitBytes: 1024 } });
    try {
      const res = await own.app.inject({
        method: 'POST',
        url: '/execute',
        payload: executeBody({ messages: [{ role: 'user', content: 'x'.repeat(2000) }] }),
      });
      expect(res.statusCode).toBe(413);
      expect(res.json().error.code).toBe('ORRERY_HTTP_BODY_TOO_LARGE');
      expect(own.server.requests).toHaveLength(0);
    } finally {
      await own.close();
    }
  });

  it('regression: a self-referring answerSchema ({"$ref": "#"}) crashed the answer check with a 500', async () => {
    const res = await post('/execute', executeBody({ answerSchema: { $ref: '#' } }));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      path: 'answerSchema',
      message: expect.stringMatching(/itself/),
    });
    expect(h.server.requests).toHaveLength(0);
  });

  it('an answer too deep for the schema check is a 422, not a crash', async () => {
    const tree = {
      $defs: { n: { type: 'object', properties: { c: { $ref: '#/$defs/n' } } } },
      $ref: '#/$defs/n',
    };
    const deep = `${'{"c":'.repeat(50_000)}{}${'}'.repeat(50_000)}`;
    h.server.script(SERVE_MODELS.execute, [{ text: deep }]);
    const res = await post('/execute', executeBody({ answerSchema: tree }));
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('ORRERY_LLM_RESPONSE_FORMAT');
  });

  it('an unknown route is a JSON 404', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('ORRERY_HTTP_NOT_FOUND');
  });

  it('prototype poisoning is refused', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/execute',
      headers: { 'content-type': 'application/json' },
      payload: '{"task":"x","messages":[{"role":"user","content":"hi"}],"__proto__":{"admin":true}}',
    });
    expect(res.statusCode).toBe(400);
  });
});

describe('budget chains over HTTP', () => {
  it('opens a chain, charges calls to it, refuses past its cap with 402, reports and closes it', async () => {
    const opened = await post('/chains', { maxTokens: 300, name: 'delegation' });
    expect(opened.statusCode).toBe(201);
    const { id } = opened.json() as { id: string };
    expect(id).toEqual(expect.any(String));

    h.server.script(SERVE_MODELS.execute, [
      { text: 'one', usage: { input: 4, output: 100 } },
      { text: 'two', usage: { input: 4, output: 100 } },
    ]);
    const call = () => post('/execute', executeBody({ chainId: id, maxTokens: 100 }));
    expect((await call()).statusCode).toBe(200);
    expect((await call()).statusCode).toBe(200);
    const refused = await call();
    expect(refused.statusCode).toBe(402);
    expect(refused.json()).toMatchObject({
      success: false,
      error: { code: 'ORRERY_LLM_BUDGET_EXCEEDED', budget: 'chain' },
    });
    expect(h.server.requests).toHaveLength(2);

    const usage = await h.app.inject({ method: 'GET', url: `/chains/${id}` });
    expect(usage.statusCode).toBe(200);
    expect(usage.json()).toMatchObject({ id, name: 'delegation', maxTokens: 300, used: { tokens: 208 } });

    const closed = await h.app.inject({ method: 'DELETE', url: `/chains/${id}` });
    expect(closed.statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: `/chains/${id}` })).statusCode).toBe(404);
    const after = await call();
    expect(after.statusCode).toBe(400);
    expect(after.json().error).toMatchObject({ code: 'ORRERY_HTTP_UNKNOWN_CHAIN', path: 'chainId' });
  });

  it('a USD cap refuses too', async () => {
    const { id } = (await post('/chains', { maxTokens: 1_000_000, maxCostUsd: 0 })).json() as { id: string };
    const res = await post('/execute', executeBody({ chainId: id }));
    expect(res.statusCode).toBe(402);
    expect(h.server.requests).toHaveLength(0);
  });

  it('bad chain bodies are 400 naming the path; unknown ids 404', async () => {
    const res = await post('/chains', { maxTokens: -5 });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.path).toBe('maxTokens');
    expect((await h.app.inject({ method: 'DELETE', url: '/chains/nope' })).statusCode).toBe(404);
  });

  it('refuses more open chains than the limit', async () => {
    const own = await serveHarness({ app: { maxChains: 1 } });
    try {
      const a = await own.app.inject({ method: 'POST', url: '/chains', payload: { maxTokens: 10 } });
      const b = await own.app.inject({ method: 'POST', url: '/chains', payload: { maxTokens: 10 } });
      expect(a.statusCode).toBe(201);
      expect(b.statusCode).toBe(429);
      expect(b.json().error.code).toBe('ORRERY_HTTP_CHAIN_LIMIT');
    } finally {
      await own.close();
    }
  });
});

describe('planets over HTTP', () => {
  const bars = syntheticBars(160);

  it('lists the hosted planets', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/planets' });
    expect(res.json()).toEqual({
      planets: ['execution', 'risk', 'sentiment', 'technical'],
      remote: [],
      transport: 'local',
    });
  });

  it('runs one planet on raw bars, with its one LLM call', async () => {
    h.server.script(SERVE_MODELS.planet, [{ json: PLANET_ANSWER }]);
    const res = await post('/planets/technical/analyze', { symbol: 'SPY', bars });
    expect(res.statusCode).toBe(200);
    const analysis = planetAnalysisSchema.parse(res.json());
    expect(analysis).toMatchObject({
      symbol: 'SPY',
      barTime: bars.at(-1)?.time,
      barsSeen: 160,
      mode: 'LIGHT_REASONING',
      report: {
        planet: 'technical',
        source: 'llm',
        signal: 0.4,
        confidence: 0.65,
        llm: { outcome: 'answered' },
      },
    });
    expect(h.server.requestsFor(SERVE_MODELS.planet)).toHaveLength(1);
  });

  it('MONITOR_ONLY is deterministic and calls nothing', async () => {
    const res = await post('/planets/risk/analyze', { bars, mode: 'MONITOR_ONLY' });
    expect(res.statusCode).toBe(200);
    expect(res.json().report).toMatchObject({ planet: 'risk', source: 'deterministic' });
    expect(h.server.requests).toHaveLength(0);
  });

  it('accepts a moon snapshot computed elsewhere', async () => {
    h.server.script(SERVE_MODELS.planet, [{ json: PLANET_ANSWER }]);
    const bar = bars.at(-1);
    const snapshot = {
      symbol: 'BTC',
      bar,
      barsSeen: 200,
      readings: {
        rsi: { rsi: 75 },
        ma: { emaFast: 110, smaSlow: 100 },
        regime: { trend: 'up' },
        trend: { forecast: 0.6, speeds: [12, 11, 13] },
      },
    };
    const res = await post('/planets/technical/analyze', { snapshot, mode: 'MONITOR_ONLY' });
    expect(res.statusCode).toBe(200);
    const report = res.json().report;
    expect(report.reasons.join(' ')).toMatch(/RSI 75/);
    expect(report.signal).toBeGreaterThan(0);
  });

  it('an unknown planet is 404 ORRERY_AGENTS_UNKNOWN_PLANET, whatever the body', async () => {
    const res = await post('/planets/astrology/analyze', { nonsense: true });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe('ORRERY_AGENTS_UNKNOWN_PLANET');
  });

  it('a broken bar is 400 naming its index and field', async () => {
    const bad = bars.slice(0, 5).map((b) => ({ ...b }));
    const third = bad[3];
    if (third !== undefined) third.high = third.low / 2;
    const res = await post('/planets/technical/analyze', { bars: bad });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.path).toBe('bars[3].high');
  });

  it('bars out of order are 400 at the offending bar', async () => {
    const swapped = [bars[1], bars[0], bars[2]];
    const res = await post('/planets/technical/analyze', { bars: swapped });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.path).toBe('bars[1].time');
  });

  it('both bars and snapshot, or neither, is 400', async () => {
    expect((await post('/planets/technical/analyze', {})).json().error.path).toBe('bars');
    const both = await post('/planets/technical/analyze', {
      bars,
      snapshot: { symbol: 'X', bar: bars[0], barsSeen: 1 },
    });
    expect(both.statusCode).toBe(400);
  });

  it('a planet call charged to a chain is refused past its cap and falls back to the deterministic analysis', async () => {
    const { id } = (await post('/chains', { maxTokens: 10 })).json() as { id: string };
    const res = await post('/planets/technical/analyze', { bars, chainId: id });
    expect(res.statusCode).toBe(200);
    expect(res.json().report).toMatchObject({
      source: 'deterministic',
      llm: { outcome: 'refused', code: 'ORRERY_LLM_BUDGET_EXCEEDED' },
    });
    expect(h.server.requests).toHaveLength(0);
  });
});

describe('health and metrics', () => {
  it('GET /healthz', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /metrics is Prometheus text with calls, refusals, cooldowns, budget, cache, modes and latency', async () => {
    h.server.script(SERVE_MODELS.execute, [{ text: 'ok' }]);
    await post('/execute', executeBody({ mode: 'FULL_AGENT' }));
    await post('/execute', executeBody({ task: 'nowhere' }));
    const res = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(res.body);
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value;
    expect(value('orrery_llm_calls_total', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(value('orrery_llm_refusals_total', { reason: 'policy' })).toBeGreaterThanOrEqual(1);
    expect(value('orrery_llm_refusals_total', { reason: 'budget' })).toBeDefined();
    expect(value('orrery_llm_cooldowns_active')).toBeDefined();
    expect(value('orrery_llm_budget_calls_left')).toBeGreaterThan(0);
    expect(value('orrery_llm_cache_hit_ratio')).toBeGreaterThanOrEqual(0);
    expect(value('orrery_mode_total', { mode: 'FULL_AGENT' })).toBeGreaterThanOrEqual(1);
    expect(value('orrery_llm_call_duration_seconds_bucket', { le: '+Inf' })).toBeGreaterThanOrEqual(1);
    expect(value('orrery_llm_call_duration_seconds_count')).toBe(
      value('orrery_llm_call_duration_seconds_bucket', { le: '+Inf' }),
    );
    expect(value('orrery_http_requests_total', { route: '/execute', status: '200' })).toBeGreaterThanOrEqual(
      1,
    );
    // Buckets are cumulative.
    const buckets = samples
      .filter((s) => s.name === 'orrery_llm_call_duration_seconds_bucket')
      .map((s) => s.value);
    expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
    expect(res.body).not.toContain(SECRET_KEY);
  });
});
