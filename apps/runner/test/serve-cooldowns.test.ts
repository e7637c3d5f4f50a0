import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { executeBody, SERVE_MODELS, type ServeHarness, serveHarness } from './support/serve-harness.ts';

let h: ServeHarness;
beforeAll(async () => {
  h = await serveHarness();
});
afterAll(async () => h.close());
beforeEach(() => h.server.reset());

const post = (url: string, payload: unknown) =>
  h.app.inject({ method: 'POST', url, payload: payload as object });

describe('cooldowns under /control (as orrery cooldowns)', () => {
  it('lists a cooldown capped by cooldown.maxMs, clears it, and the next call goes through', async () => {
    h.server.script(SERVE_MODELS.execute, [{ status: 429, retryAfter: 999_999_999 }]);
    expect((await post('/execute', executeBody())).statusCode).toBe(429);
    const listed = await h.app.inject({ method: 'GET', url: '/control/cooldowns' });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual({
      active: [
        {
          provider: 'openai',
          model: SERVE_MODELS.execute,
          until: h.clock.now() + 600_000,
          strikes: 1,
          reason: 'rate_limited',
        },
      ],
    });
    expect((await post('/execute', executeBody())).statusCode).toBe(429);
    expect(h.server.requests).toHaveLength(1);

    const cleared = await post('/control/cooldowns/clear', {
      provider: 'openai',
      model: SERVE_MODELS.execute,
    });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toEqual({ cleared: 1, active: [] });
    expect((await post('/execute', executeBody())).statusCode).toBe(200);
    expect(h.server.requests).toHaveLength(2);
  });

  it('refuses a clear without provider and model (400 naming the key)', async () => {
    const res = await post('/control/cooldowns/clear', { provider: 'openai' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'ORRERY_HTTP_INVALID_BODY', path: 'model' });
  });
});
