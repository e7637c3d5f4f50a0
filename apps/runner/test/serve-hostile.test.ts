import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AnswerSchemas, LINEAR_REGEX } from '../src/serve/answer-schema.ts';
import { isLoopbackHost } from '../src/serve/bind-policy.ts';
import { type CompatHarness, compatHarness } from './support/compat-harness.ts';
import {
  executeBody,
  PLANET_ANSWER,
  SECRET_KEY,
  SERVE_MODELS,
  type ServeHarness,
  serveHarness,
  syntheticBars,
} from './support/serve-harness.ts';

const CATASTROPHIC = { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)+$' } } };

describe('client patterns never block the server (ReDoS)', () => {
  let h: CompatHarness;
  beforeAll(async () => {
    h = await compatHarness();
  });
  afterAll(async () => h.close());
  beforeEach(() => h.server.reset());

  it('this Node runs patterns on the linear-time engine', () => {
    expect(LINEAR_REGEX).toBe(true);
  });

  it('^(a+)+$ against a 31- and a 20,000-character answer: 422 at once, /healthz answers meanwhile', async () => {
    // Backtracking needs ~2^n steps for these answers: a server running them so would never answer.
    h.server.script(SERVE_MODELS.execute, [
      { json: { code: `${'a'.repeat(30)}!` } },
      { json: { code: `${'a'.repeat(20_000)}!` } },
    ]);
    for (let i = 0; i < 2; i++) {
      const [res, health] = await Promise.all([
        fetch(`${h.url}/execute`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(executeBody({ answerSchema: CATASTROPHIC, maxTokens: 10_000 })),
        }),
        fetch(`${h.url}/healthz`),
      ]);
      expect(health.status).toBe(200);
      expect(res.status).toBe(422);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'ORRERY_LLM_RESPONSE_FORMAT',
      );
    }
    h.server.script(SERVE_MODELS.execute, [{ json: { code: 'aaaa' } }]);
    const ok = await fetch(`${h.url}/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(executeBody({ answerSchema: CATASTROPHIC })),
    });
    expect(((await ok.json()) as { parsed: unknown }).parsed).toEqual({ code: 'aaaa' });
  });

  it('the same through /v1/chat/completions json_schema', async () => {
    h.server.script(SERVE_MODELS.execute, [{ json: { code: `${'a'.repeat(5_000)}!` } }]);
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'orrery/chat',
        messages: [{ role: 'user', content: 'x' }],
        response_format: { type: 'json_schema', json_schema: { name: 'c', schema: CATASTROPHIC } },
      }),
    });
    expect(res.status).toBe(422);
  });

  it('a pattern the linear engine cannot run (backreference, lookaround) is a 400 naming its key, no call', async () => {
    const backref = { type: 'object', properties: { code: { type: 'string', pattern: '^(a+)\\1$' } } };
    const res = await fetch(`${h.url}/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(executeBody({ answerSchema: backref })),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; path: string; message: string } };
    expect(body.error.code).toBe('ORRERY_HTTP_INVALID_BODY');
    expect(body.error.path).toBe('answerSchema.properties.code.pattern');
    expect(body.error.message).toMatch(/cannot be run in linear time/);

    const look = { type: 'object', patternProperties: { '^(?!x)': { type: 'number' } } };
    const v1 = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'orrery/chat',
        messages: [{ role: 'user', content: 'x' }],
        response_format: { type: 'json_schema', json_schema: { name: 'c', schema: look } },
      }),
    });
    expect(v1.status).toBe(400);
    const err = (await v1.json()) as { error: { param: string } };
    expect(err.error.param).toBe('response_format.json_schema.schema.patternProperties["^(?!x)"]');
    expect(h.server.requests).toHaveLength(0);
  });

  it('property: any pattern of nested quantifiers and alternations is refused or checked in bounded time', () => {
    const schemas = new AnswerSchemas();
    const atom = fc.constantFrom('a', 'b', '.', '[ab]', '\\w', 'a?');
    const quant = fc.constantFrom('+', '*', '{1,3}', '{2,}', '?', '');
    const pattern = fc.letrec<{ re: string }>((tie) => ({
      re: fc.oneof(
        { depthSize: 'small' },
        fc.tuple(atom, quant).map(([a, q]) => a + q),
        fc.tuple(tie('re'), tie('re')).map(([x, y]) => x + y),
        fc.tuple(tie('re'), tie('re'), quant).map(([x, y, q]) => `(${x}|${y})${q}`),
        fc.tuple(tie('re'), quant).map(([x, q]) => `(?:${x})${q === '' ? '+' : q}`),
      ),
    })).re;
    fc.assert(
      fc.property(pattern, fc.boolean(), fc.integer({ min: 100, max: 3_000 }), (re, anchor, n) => {
        const p = anchor ? `^${re}$` : re;
        const got = schemas.get({ type: 'string', pattern: p });
        if (!got.ok) {
          expect(got.path).toBe('answerSchema.pattern');
          return;
        }
        // Answers built to make backtracking explode: long runs that fail at the very end.
        for (const s of [`${'a'.repeat(n)}!`, `${'ab'.repeat(n / 2)}\n`]) got.schema.safeParse(s);
      }),
      { numRuns: 200 },
    );
  });
});

describe('a tokenless server answers only requests addressed to this machine (DNS rebinding)', () => {
  let h: ServeHarness;
  beforeAll(async () => {
    h = await serveHarness({ app: { allowedHosts: ['orrery.internal'] } });
  });
  afterAll(async () => h.close());
  beforeEach(() => h.server.reset());

  it('a foreign Host is a 403 naming it, before any work (no budget spent, /control unreachable)', async () => {
    for (const [method, url] of [
      ['GET', '/metrics'],
      ['POST', '/execute'],
      ['POST', '/control/runs/r1/flatten'],
      ['GET', '/v1/models'],
    ] as const) {
      const res = await h.app.inject({
        method,
        url,
        headers: { host: 'attacker.example:9999' },
        ...(method === 'POST' ? { payload: executeBody() } : {}),
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('ORRERY_HTTP_FORBIDDEN_HOST');
      expect(res.json().error.message).toMatch(/Host "attacker.example:9999" is not this machine/);
    }
    expect(h.server.requests).toHaveLength(0);
  });

  it('a web page of another origin is a 403; localhost, 127.0.0.1, ::1 and allowed names are served', async () => {
    const evil = await h.app.inject({
      method: 'POST',
      url: '/execute',
      headers: { host: '127.0.0.1:9999', origin: 'http://evil.example' },
      payload: executeBody(),
    });
    expect(evil.statusCode).toBe(403);
    expect(evil.json().error.message).toMatch(/Origin "http:\/\/evil.example" is another site/);
    for (const host of [
      'localhost:9999',
      '127.0.0.1:9999',
      '[::1]:9999',
      'orrery.internal:9999',
      'LOCALHOST',
    ]) {
      const res = await h.app.inject({ method: 'GET', url: '/healthz', headers: { host } });
      expect(res.statusCode, host).toBe(200);
    }
    const local = await h.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { host: 'localhost:9999', origin: 'http://localhost:3000' },
    });
    expect(local.statusCode).toBe(200);
    expect(h.server.requests).toHaveLength(0);
  });

  it('property: only loopback names and allowed names pass, whatever the Host', async () => {
    const host = fc.oneof(
      fc.domain(),
      fc.ipV4(),
      fc.ipV6().map((a) => `[${a}]`),
      fc.constantFrom(
        'localhost',
        '127.0.0.1',
        '127.255.0.9',
        '[::1]',
        '[::ffff:127.0.0.1]',
        '[0:0:0:0:0:0:0:1]',
        'orrery.internal',
        '0.0.0.0',
        '[::]',
        '[::ffff:10.0.0.1]',
      ),
    );
    await fc.assert(
      fc.asyncProperty(host, fc.option(fc.integer({ min: 1, max: 65535 })), async (name, port) => {
        const value = port === null ? name : `${name}:${port}`;
        const res = await h.app.inject({ method: 'GET', url: '/metrics', headers: { host: value } });
        const bare = name.replace(/^\[|\]$/g, '').toLowerCase();
        const expected = isLoopbackHost(bare) || bare === 'orrery.internal' ? 200 : 403;
        expect(res.statusCode, value).toBe(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('with a token the Host check is off (the token is the protection)', async () => {
    const token = 'a-long-enough-token-123456';
    const t = await serveHarness({ app: { token } });
    try {
      const res = await t.app.inject({
        method: 'GET',
        url: '/metrics',
        headers: { host: 'orrery.example.com', authorization: `Bearer ${token}` },
      });
      expect(res.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('secrets echoed by a model are redacted in what serve returns', () => {
  let h: ServeHarness;
  beforeAll(async () => {
    h = await serveHarness();
  });
  afterAll(async () => h.close());

  it('/execute text and parsed, and /planets/:name/analyze', async () => {
    h.server.script(SERVE_MODELS.execute, [
      { json: { note: `key ${SECRET_KEY}`, other: 'sk-ant-api03-ZZZZZZZZZZZZZZZZZZZZZZZZ' } },
    ]);
    const ex = await h.app.inject({
      method: 'POST',
      url: '/execute',
      payload: executeBody({ answerSchema: { type: 'object' } }),
    });
    expect(ex.statusCode).toBe(200);
    expect(ex.body).not.toContain(SECRET_KEY);
    expect(ex.body).not.toContain('sk-ant-api03');
    expect(ex.json().parsed).toEqual({ note: 'key [redacted]', other: '[redacted]' });

    h.server.script(SERVE_MODELS.planet, [{ json: { ...PLANET_ANSWER, reasons: [`leaked ${SECRET_KEY}`] } }]);
    const an = await h.app.inject({
      method: 'POST',
      url: '/planets/technical/analyze',
      payload: { symbol: 'SPY', bars: syntheticBars(160) },
    });
    expect(an.statusCode).toBe(200);
    expect(an.body).not.toContain(SECRET_KEY);
    expect(an.body).toContain('leaked [redacted]');
  });
});
