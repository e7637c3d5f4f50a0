import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunnerError } from '../src/errors.ts';
import { assertBindAllowed, isLoopbackHost } from '../src/serve/bind-policy.ts';
import { startServe } from '../src/serve/start.ts';
import {
  executeBody,
  SECRET_KEY,
  SERVE_MODELS,
  type ServeHarness,
  serveHarness,
} from './support/serve-harness.ts';

const TOKEN = 'orrery-test-token-0123456789abcdef';

describe('bearer token', () => {
  let h: ServeHarness;
  beforeAll(async () => {
    h = await serveHarness({ app: { token: TOKEN } });
  });
  afterAll(async () => h.close());

  it.each([
    ['POST', '/execute'],
    ['GET', '/metrics'],
    ['POST', '/chains'],
    ['GET', '/chains/x'],
    ['POST', '/planets/technical/analyze'],
    ['GET', '/no-such-route'],
  ] as const)('%s %s without the token is 401', async (method, url) => {
    const res =
      method === 'POST'
        ? await h.app.inject({ method, url, payload: executeBody() })
        : await h.app.inject({ method, url });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json()).toMatchObject({ success: false, error: { code: 'ORRERY_HTTP_UNAUTHORIZED' } });
  });

  it('a wrong token is 401 and nothing reaches the provider', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: '/execute',
      headers: { authorization: `Bearer ${TOKEN}x` },
      payload: executeBody(),
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toBe('invalid bearer token');
    expect(h.server.requests).toHaveLength(0);
  });

  it('the right token passes; /healthz never needs it', async () => {
    const ok = await h.app.inject({
      method: 'POST',
      url: '/execute',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: executeBody(),
    });
    expect(ok.statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('bind policy', () => {
  it.each(['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])(
    '%s is loopback',
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );
  it.each(['0.0.0.0', '::', '192.168.1.20', '10.0.0.1', 'example.com', '128.0.0.1'])('%s is not', (host) =>
    expect(isLoopbackHost(host)).toBe(false),
  );

  it('refuses a non-loopback bind without a token, with a clear message', () => {
    expect(() => assertBindAllowed('0.0.0.0', undefined, 'ORRERY_TOKEN')).toThrow(RunnerError);
    expect(() => assertBindAllowed('0.0.0.0', undefined, 'ORRERY_TOKEN')).toThrow(
      /refusing to listen on 0\.0\.0\.0 without a bearer token.*ORRERY_TOKEN/,
    );
    expect(() => assertBindAllowed('0.0.0.0', TOKEN)).not.toThrow();
    expect(() => assertBindAllowed('127.0.0.1', undefined)).not.toThrow();
  });

  it('refuses a short token', () => {
    expect(() => assertBindAllowed('127.0.0.1', 'short', 'ORRERY_TOKEN')).toThrow(/too short/);
  });

  it('startServe refuses before listening', async () => {
    const h = await serveHarness();
    try {
      await expect(startServe({ gateway: h.gateway, host: '0.0.0.0', port: 0 })).rejects.toMatchObject({
        code: 'ORRERY_USAGE',
      });
    } finally {
      await h.close();
    }
  });
});

describe('secrets never leave the process', () => {
  it('the provider key is in no response body, log line, metric or ledger row', async () => {
    const h = await serveHarness({ app: { token: TOKEN } });
    try {
      const auth = { authorization: `Bearer ${TOKEN}` };
      h.server.script(SERVE_MODELS.execute, [
        // Providers echo (parts of) a rejected key in their error messages.
        { status: 401, message: `Incorrect API key provided: ${SECRET_KEY}` },
        { status: 500, message: `internal error for key ${SECRET_KEY}` },
        { text: 'fine' },
        { status: 429, retryAfter: 5 },
      ]);
      const bodies: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await h.app.inject({
          method: 'POST',
          url: '/execute',
          headers: auth,
          payload: executeBody(),
        });
        bodies.push(res.body);
      }
      for (const [method, url, payload] of [
        ['GET', '/metrics', undefined],
        ['GET', '/healthz', undefined],
        ['POST', '/chains', { maxTokens: 10 }],
        ['POST', '/execute', { task: 'x' }],
        ['POST', '/execute', executeBody({ answerSchema: { $ref: 'http://evil/' } })],
        ['GET', '/nope', undefined],
      ] as const) {
        bodies.push(
          (await h.app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) })).body,
        );
      }
      const all = [...bodies, ...h.logs, JSON.stringify(h.gateway.ledger.since(0))].join('\n');
      expect(h.server.requests.length).toBeGreaterThanOrEqual(4);
      expect(bodies[0]).toContain('ORRERY_LLM_PROVIDER');
      expect(h.logs.length).toBeGreaterThan(0);
      expect(all).not.toContain(SECRET_KEY);
      expect(all).not.toContain(TOKEN);
      // The key was really sent to the provider (so the test tests something).
      expect(h.server.requests[0]?.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
    } finally {
      await h.close();
    }
  });
});
