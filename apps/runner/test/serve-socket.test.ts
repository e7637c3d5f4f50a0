import { freePort } from '@orrery/testkit';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServe } from '../src/serve/start.ts';
import { executeBody, SERVE_MODELS, type ServeHarness, serveHarness } from './support/serve-harness.ts';

const TOKEN = 'socket-test-token-0123456789abcdef';

let h: ServeHarness | undefined;
let running: RunningServer | undefined;
const agents: Agent[] = [];
afterEach(async () => {
  await running?.close();
  await Promise.all(agents.splice(0).map((a) => a.close()));
  await h?.close();
  running = undefined;
  h = undefined;
});

type HarnessOptions = NonNullable<Parameters<typeof serveHarness>[0]>;

async function listen(app: HarnessOptions['app'] = {}, gateway: HarnessOptions['gateway'] = {}) {
  h = await serveHarness({ gateway });
  running = await startServe({
    gateway: h.gateway,
    clock: h.clock,
    token: TOKEN,
    host: '127.0.0.1',
    port: await freePort(),
    log: (l) => h?.logs.push(l),
    ...app,
  });
  return { h, url: running.url };
}

const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

/** Resolves once `test()` holds (checked every few ms), or fails after `ms`. */
async function until(test: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('orrery serve on a real socket', () => {
  it('answers /execute over TCP with undici', async () => {
    const { h, url } = await listen();
    h.server.script(SERVE_MODELS.execute, [{ json: { ok: true } }]);
    const res = await request(`${url}/execute`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify(
        executeBody({ answerSchema: { type: 'object', properties: { ok: { type: 'boolean' } } } }),
      ),
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toMatchObject({ success: true, parsed: { ok: true } });
    const health = await request(`${url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  });

  it('answers 429 with Retry-After when every slot is busy, and serves again once one frees', async () => {
    const { h, url } = await listen({ maxConcurrent: 2, overloadRetryAfterS: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    h.server.setDefault(async () => {
      await gate;
      return { text: 'slow answer' };
    });
    const call = () =>
      request(`${url}/execute`, { method: 'POST', headers: auth, body: JSON.stringify(executeBody()) }).then(
        async (r) => ({
          status: r.statusCode,
          headers: r.headers,
          body: (await r.body.json()) as Record<string, unknown>,
        }),
      );
    const slow = [call(), call()];
    await until(() => h.server.requests.length === 2);

    const refused = await call();
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.body).toMatchObject({ success: false, error: { code: 'ORRERY_HTTP_OVERLOADED' } });
    // Health and metrics are not behind the limit.
    const metrics = await request(`${url}/metrics`, { headers: auth });
    expect(metrics.statusCode).toBe(200);
    expect(await metrics.body.text()).toMatch(/^orrery_http_in_flight 2$/m);

    release();
    for (const r of await Promise.all(slow)) expect(r.status).toBe(200);
    expect((await call()).status).toBe(200);
    expect(h.server.requests).toHaveLength(3);
  });

  it('keeps the global budget exact under 500 concurrent HTTP requests', async () => {
    const LIMIT = 120;
    const { h, url } = await listen(
      { maxConcurrent: 1000 },
      {
        budget: { maxCallsPerHour: LIMIT, maxTokensPerHour: 100_000_000, reserveCalls: 0, reserveTokens: 0 },
      },
    );
    h.server.setDefault(() => ({ text: 'ok', delayMs: 5 }));
    const agent = new Agent({ connections: 500, pipelining: 0 });
    agents.push(agent);
    const results = await Promise.all(
      Array.from({ length: 500 }, () =>
        request(`${url}/execute`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify(executeBody()),
          dispatcher: agent,
        }).then(async (r) => ({
          status: r.statusCode,
          body: (await r.body.json()) as { error?: { code: string } },
        })),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 429);
    expect(ok).toHaveLength(LIMIT);
    expect(refused).toHaveLength(500 - LIMIT);
    for (const r of refused) expect(r.body.error?.code).toBe('ORRERY_LLM_BUDGET_EXCEEDED');
    expect(h.server.requests).toHaveLength(LIMIT);
    expect(h.gateway.budgetStatus().callsUsed).toBe(LIMIT);
  });
});
