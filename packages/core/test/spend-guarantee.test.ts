import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SOURCE_CONDITION } from '../../../test/support/source-node.ts';
import {
  estimateTokens,
  LLMBudgetExceededError,
  type LLMError,
  LLMErrorCode,
  LLMQuotaExhaustedError,
  LLMRateLimitedError,
  LLMTimeoutError,
  openGatewayDb,
  ProviderCoolingDownError,
  withJsonHint,
} from '../src/index.ts';
import { ask, type Harness, harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const pin = (model: string, provider = 'openai') => ({ target: { provider, model } });
/** Resolves once the loopback server has received `n` requests (polls; no fixed sleep). */
async function arrived(n: number): Promise<void> {
  while (h.server.requests.length < n) await new Promise((r) => setTimeout(r, 5));
}

/** A breaker that never opens, to look at the budget alone. */
const noBreaker = { breaker: { failures: 1_000_000, timeouts: 1_000_000 } };

describe('every provider request consumes the budget (defect: failed calls escaped it)', () => {
  it('100 sequential 500s against a 10-call budget make 10 provider calls, all counted', async () => {
    const g = h.gateway({ ...noBreaker, budget: { maxCallsPerHour: 10, reserveCalls: 0 } });
    h.server.setDefault(() => ({ status: 500, message: 'boom' }));
    const codes: string[] = [];
    for (let i = 0; i < 100; i++) {
      const err = (await g.execute({ task: 'analysis', messages: ask(`q${i}`) }).catch((e) => e)) as LLMError;
      codes.push(err.code);
    }
    expect(h.server.requests).toHaveLength(10);
    expect(codes.filter((c) => c === LLMErrorCode.PROVIDER)).toHaveLength(10);
    expect(codes.filter((c) => c === LLMErrorCode.BUDGET_EXCEEDED)).toHaveLength(90);
    expect(g.budgetStatus().callsUsed).toBe(10);
    const s = g.ledger.summary();
    expect(s).toMatchObject({ calls: 10, callsFailed: 10, refusals: { budget: 90 } });
  });

  it('timeouts count too, and a concurrent burst against a hanging provider stays within the cap', async () => {
    const g = h.gateway({ ...noBreaker, budget: { maxCallsPerHour: 45, reserveCalls: 0 } });
    h.server.setDefault(() => ({ delayMs: 60_000, text: 'late' }));
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        g.execute({ task: 'analysis', messages: ask(`b${i}`), timeoutMs: 300 }).catch((e) => e as LLMError),
      ),
    );
    // Under load some requests time out before they reach the server; none beyond the 45 reserved does.
    expect(h.server.requests.length).toBeLessThanOrEqual(45);
    expect(results.filter((e) => e instanceof LLMTimeoutError)).toHaveLength(45);
    expect(results.filter((e) => e instanceof LLMBudgetExceededError)).toHaveLength(55);
    expect(g.budgetStatus().callsUsed).toBe(45);
    // A timeout reports no usage: the row and the error carry the reservation (prompt estimate + cap).
    const timeout = results.find((e) => e instanceof LLMTimeoutError) as LLMTimeoutError;
    expect(timeout.usage).toMatchObject({ tokensOut: 1024 });
    expect(timeout.usage?.tokensIn).toBeGreaterThan(0);
  });

  it('a kill -9 during a call leaves its ledger row and its budget reservation (one transaction)', async () => {
    let reached!: () => void;
    const arrived = new Promise<void>((r) => {
      reached = r;
    });
    h.server.setDefault(() => {
      reached();
      return { delayMs: 60_000, text: 'never' };
    });
    const child = spawn(
      process.execPath,
      [
        SOURCE_CONDITION,
        fileURLToPath(new URL('./fixtures/hang-and-die.mjs', import.meta.url)),
        h.dbPath,
        h.server.url,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((r) =>
      child.once('exit', (_code, signal) => r(signal)),
    );
    await Promise.race([arrived, exited.then(() => Promise.reject(new Error(`child exited: ${stderr}`)))]);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const db = openGatewayDb(h.dbPath);
    try {
      const rows = db.prepare('SELECT outcome, code, tokens_in, tokens_out, cost_usd FROM ledger').all() as {
        outcome: string;
        code: string;
        tokens_in: number;
        tokens_out: number;
        cost_usd: number;
      }[];
      expect(h.server.requests).toHaveLength(1);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ outcome: 'error', code: LLMErrorCode.IN_FLIGHT, tokens_out: 100 });
      expect(rows[0]?.cost_usd).toBeGreaterThan(0);
      const budget = db.prepare('SELECT sum(calls) AS calls FROM budget_minutes').get() as { calls: number };
      expect(budget.calls).toBe(1);
    } finally {
      db.close();
    }
  });
});

describe('chain budgets are exact (defect: caps overran 2.1×, and 89× with lying usage)', () => {
  const Answer = z.object({ answer: z.string() });

  it('admission reserves every message the provider receives (the JSON hint too) plus max_tokens', async () => {
    const g = h.gateway();
    let held = -1;
    const chain = g.openChain({ name: 'sun', maxTokens: 1e6 });
    h.server.setDefault((req) => {
      held = chain.held().tokens;
      const body = req.body as { messages: { content: string }[] };
      expect(body.messages[0]?.content).toBe('Answer with a single JSON object.');
      return { json: { answer: 'ok' } };
    });
    const messages = ask('what now?');
    await g.execute({ task: 'analysis', messages, schema: Answer, maxTokens: 200, budget: chain });
    expect(held).toBe(estimateTokens(withJsonHint(messages), 200));
    expect(held).toBeGreaterThan(estimateTokens(messages, 200));
  });

  it('settlement never charges more than was reserved; a provider reporting more is an anomaly', async () => {
    const g = h.gateway();
    h.server.setDefault(() => ({ text: 'ok', usage: { input: 50_000, output: 50_000 } }));
    const chain = g.openChain({ name: 'sun', maxTokens: 2_000 });
    let admitted = 0;
    for (let i = 0; i < 100; i++) {
      const r = await g.tryExecute({ task: 'analysis', messages: ask('x'), maxTokens: 50, budget: chain });
      if (r.success) admitted += 1;
    }
    // 55 tokens reserved per call: 36 × 55 = 1,980 ≤ 2,000.
    expect(admitted).toBe(36);
    expect(chain.used().tokens).toBe(1_980);
    expect(chain.anomalies()).toBe(36);
    expect(g.metrics().usageAnomalies).toBe(36);
    const row = g.ledger.since().find((e) => e.outcome === 'ok');
    expect(row?.tokensIn).toBe(50_000); // the ledger keeps what the provider reported
    expect(row?.message).toMatch(/usage anomaly/);
  });

  it('used ≤ cap on every level under concurrency and adversarial usage (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 100, max: 3_000 }),
        fc.integer({ min: 100, max: 3_000 }),
        fc.array(
          fc.record({
            maxTokens: fc.integer({ min: 1, max: 400 }),
            input: fc.integer({ min: 0, max: 100_000 }),
            output: fc.integer({ min: 0, max: 100_000 }),
            fail: fc.boolean(),
            json: fc.boolean(),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        async (rootCap, childCap, calls) => {
          h.server.reset();
          const g = h.gateway({ ...noBreaker });
          const root = g.openChain({ name: 'sun', maxTokens: rootCap });
          const child = root.child({ name: 'planet', maxTokens: childCap });
          for (const [i, c] of calls.entries()) {
            h.server.script(`m${i}`, [
              c.fail
                ? { status: 500 }
                : { json: { answer: 'x' }, usage: { input: c.input, output: c.output } },
            ]);
          }
          await Promise.all(
            calls.map((c, i) =>
              g.tryExecute({
                task: 'analysis',
                messages: ask(`call ${i}`),
                maxTokens: c.maxTokens,
                ...(c.json ? { schema: Answer } : {}),
                ...pin(`m${i}`),
                budget: i % 2 === 0 ? root : child,
              }),
            ),
          );
          expect(root.used().tokens).toBeLessThanOrEqual(rootCap);
          expect(child.used().tokens).toBeLessThanOrEqual(childCap);
          expect(root.held().tokens).toBe(0);
        },
      ),
      { numRuns: 15 },
    );
  });

  it('200 concurrent chain requests with lying usage: used stays ≤ cap', async () => {
    const g = h.gateway();
    h.server.setDefault(() => ({ text: 'ok', usage: { input: 9_000, output: 9_000 } }));
    const chain = g.openChain({ name: 'sun', maxTokens: 2_000 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        g.tryExecute({ task: 'analysis', messages: ask(`c${i}`), maxTokens: 50, budget: chain }),
      ),
    );
    expect(chain.used().tokens).toBeLessThanOrEqual(2_000);
    expect(h.server.requests.length).toBe(results.filter((r) => r.success).length);
    // The figure of the closing note: 36 admitted × 55 tokens reserved = 1,980 of 2,000 (was 4,200 / 178,500).
    expect(chain.used().tokens).toBe(1_980);
    expect(h.server.requests).toHaveLength(36);
    expect(chain.anomalies()).toBe(36);
  });
});

describe('cooldowns (defects: absurd Retry-After, concurrent 429s as strikes, nothing clears them)', () => {
  it('Retry-After: 999999999 and an HTTP date in year 9999 are capped by cooldown.maxMs, and persist until cleared', async () => {
    const g = h.gateway({ cooldown: { baseMs: 30_000, maxMs: 900_000 } });
    h.server.script('cheap', [{ status: 429, retryAfter: 999_999_999 }]);
    const err = (await g
      .execute({ task: 'analysis', messages: ask('x') })
      .catch((e) => e)) as LLMRateLimitedError;
    expect(err.retryAfterMs).toBe(999_999_999_000);
    expect(g.cooldownUntil('openai', 'cheap')).toBe(h.clock.now() + 900_000);

    h.clock.advance(900_000);
    h.server.script('cheap', [{ status: 429, retryAfter: 'Fri, 31 Dec 9999 23:59:59 GMT' }]);
    await g.execute({ task: 'analysis', messages: ask('y') }).catch(() => undefined);
    expect(g.cooldownUntil('openai', 'cheap')).toBe(h.clock.now() + 900_000);
    await g.close();

    // After a restart the cooldown is still there; an operator clears it.
    const again = h.gateway({ cooldown: { baseMs: 30_000, maxMs: 900_000 } });
    expect(again.cooldowns()).toMatchObject([{ provider: 'openai', model: 'cheap', reason: 'rate_limited' }]);
    expect(again.clearCooldown('openai', 'cheap')).toBe(1);
    expect(again.cooldowns()).toEqual([]);
    await expect(again.execute({ task: 'analysis', messages: ask('z') })).resolves.toMatchObject({
      success: true,
    });
  });

  it('reads retry-after-ms first, as the official SDKs do', async () => {
    const g = h.gateway({ cooldown: { baseMs: 1_000, maxMs: 60_000 } });
    h.server.script('cheap', [{ status: 429, retryAfter: 50, headers: { 'retry-after-ms': '2500' } }]);
    const err = (await g
      .execute({ task: 'analysis', messages: ask('x') })
      .catch((e) => e)) as LLMRateLimitedError;
    expect(err.retryAfterMs).toBe(2_500);
    expect(g.cooldownUntil('openai', 'cheap')).toBe(h.clock.now() + 2_500);
  });

  it('429s of requests in flight together are one strike: the first cooldown is the base', async () => {
    const g = h.gateway({ cooldown: { baseMs: 30_000, maxMs: 900_000 } });
    h.server.setDefault(() => ({ status: 429 }));
    const errs = await Promise.all(
      ['risk', 'trend', 'news'].map((p) =>
        g.execute({ task: 'planet_analysis', messages: ask(p), agent: `planet:${p}` }).catch((e) => e),
      ),
    );
    expect(errs.every((e) => e instanceof LLMRateLimitedError)).toBe(true);
    expect(g.cooldowns()).toMatchObject([{ strikes: 1, until: h.clock.now() + 30_000 }]);
    // The next 429, after the cooldown, is a new strike.
    h.clock.advance(30_000);
    await g.execute({ task: 'planet_analysis', messages: ask('again') }).catch(() => undefined);
    expect(g.cooldowns()).toMatchObject([{ strikes: 2, until: h.clock.now() + 60_000 }]);
  });

  it("Anthropic's 529 overloaded_error starts a cooldown", async () => {
    const g = h.gateway();
    h.server.script('claude', [
      {
        status: 529,
        rawBody: JSON.stringify({
          type: 'error',
          error: { type: 'overloaded_error', message: 'Overloaded' },
        }),
      },
    ]);
    const err = await g
      .execute({ task: 'analysis', messages: ask('x'), ...pin('claude', 'anthropic') })
      .catch((e) => e);
    expect(err).toBeInstanceOf(LLMRateLimitedError);
    expect(g.cooldowns()).toMatchObject([{ provider: 'anthropic', model: 'claude', reason: 'overloaded' }]);
    const next = await g
      .execute({ task: 'analysis', messages: ask('y'), ...pin('claude', 'anthropic') })
      .catch((e) => e);
    expect(next).toBeInstanceOf(ProviderCoolingDownError);
    expect(h.server.requests).toHaveLength(1);
  });

  it('a 429 saying insufficient_quota disables the provider until an operator clears it', async () => {
    const g = h.gateway();
    h.server.script('cheap', [
      {
        status: 429,
        rawBody: JSON.stringify({
          error: {
            message: 'You exceeded your current quota',
            type: 'insufficient_quota',
            code: 'insufficient_quota',
          },
        }),
      },
    ]);
    const err = (await g.execute({ task: 'analysis', messages: ask('x') }).catch((e) => e)) as LLMError;
    expect(err).toBeInstanceOf(LLMQuotaExhaustedError);
    expect(err.message).toMatch(/quota or billing is exhausted.*until an operator clears it/);
    // Every model of the provider, for as long as nobody clears it.
    h.clock.advance(30 * 86_400_000);
    const other = (await g
      .execute({ task: 'analysis', messages: ask('y'), ...pin('smart') })
      .catch((e) => e)) as ProviderCoolingDownError;
    expect(other).toBeInstanceOf(ProviderCoolingDownError);
    expect(other.reason).toBe('disabled');
    expect(other.message).toMatch(/openai is disabled.*insufficient_quota/);
    expect(h.server.requests).toHaveLength(1);
    expect(g.cooldowns()).toMatchObject([{ provider: 'openai', model: '*', reason: 'disabled' }]);
    expect(g.clearCooldown('openai', '*')).toBe(1);
    await expect(g.execute({ task: 'analysis', messages: ask('z'), ...pin('smart') })).resolves.toMatchObject(
      {
        success: true,
      },
    );
  });
});

describe('circuit breaker per provider+model for 5xx, 529 and timeouts', () => {
  const breaker = {
    breaker: { failures: 3, timeouts: 1, windowMs: 60_000, openMs: 10_000, maxOpenMs: 40_000 },
  };

  it('opens after N failures in the window, lets one probe through, then closes or reopens with backoff', async () => {
    const g = h.gateway(breaker);
    h.server.setDefault(() => ({ status: 503, message: 'unavailable' }));
    for (let i = 0; i < 3; i++)
      await g.execute({ task: 'analysis', messages: ask(`f${i}`) }).catch(() => undefined);
    expect(h.server.requests).toHaveLength(3);
    const refused = (await g
      .execute({ task: 'analysis', messages: ask('r') })
      .catch((e) => e)) as ProviderCoolingDownError;
    expect(refused).toBeInstanceOf(ProviderCoolingDownError);
    expect(refused.reason).toBe('breaker_open');
    expect(refused.until).toBe(h.clock.now() + 10_000);
    expect(h.server.requests).toHaveLength(3);

    // Half-open: of two concurrent requests one probes, the other is refused; the probe fails → 20 s.
    h.clock.advance(10_000);
    const [a, b] = await Promise.all([
      g.execute({ task: 'analysis', messages: ask('p1') }).catch((e) => e),
      g.execute({ task: 'analysis', messages: ask('p2') }).catch((e) => e),
    ]);
    expect(h.server.requests).toHaveLength(4);
    expect(
      [a, b].filter((e) => e instanceof ProviderCoolingDownError && e.reason === 'breaker_probe'),
    ).toHaveLength(1);
    expect(g.cooldownUntil('openai', 'cheap')).toBe(h.clock.now() + 20_000);

    // The next probe succeeds: closed, and failures count from zero again.
    h.clock.advance(20_000);
    h.server.setDefault(() => ({ text: 'back' }));
    await expect(g.execute({ task: 'analysis', messages: ask('ok') })).resolves.toMatchObject({
      success: true,
    });
    await expect(g.execute({ task: 'analysis', messages: ask('ok2') })).resolves.toMatchObject({
      success: true,
    });
    expect(g.cooldowns()).toEqual([]);
  });

  it('the fallback order skips an open breaker like a cooldown', async () => {
    const g = h.gateway({
      ...breaker,
      routing: {
        default: {
          prefer: [
            { provider: 'openai', model: 'cheap' },
            { provider: 'backup', model: 'spare' },
          ],
        },
      },
    });
    h.server.script('cheap', [{ status: 500 }, { status: 500 }, { status: 500 }]);
    for (let i = 0; i < 3; i++)
      await g.execute({ task: 'analysis', messages: ask(`f${i}`) }).catch(() => undefined);
    expect(g.candidatesFor('analysis')).toEqual([{ provider: 'backup', model: 'spare' }]);
    const res = await g.execute({ task: 'analysis', messages: ask('next') });
    expect(res.provider).toBe('backup');
    expect(h.server.requestsFor('cheap')).toHaveLength(3);
  });

  it('one hanging provider costs at most one timeout per cycle: the next stage does not call it again', async () => {
    const g = h.gateway({
      ...breaker,
      routing: {
        rules: {
          planet_analysis: { prefer: [{ provider: 'openai', model: 'cheap' }] },
          sun_reasoning: { prefer: [{ provider: 'openai', model: 'cheap' }] },
        },
      },
    });
    h.server.setDefault(() => ({ delayMs: 5_000, text: 'late' }));
    // A cycle: three planets in parallel time out together, then the sun asks the same model.
    const planets = await Promise.all(
      ['risk', 'trend', 'news'].map((p) =>
        g.execute({ task: 'planet_analysis', messages: ask(p), timeoutMs: 100 }).catch((e) => e),
      ),
    );
    expect(planets.every((e) => e instanceof LLMTimeoutError)).toBe(true);
    const sun = (await g
      .execute({ task: 'sun_reasoning', messages: ask('decide') })
      .catch((e) => e)) as ProviderCoolingDownError;
    expect(sun).toBeInstanceOf(ProviderCoolingDownError);
    expect(sun.reason).toBe('breaker_open');
    expect(h.server.requests).toHaveLength(3);
  });

  it('a caller abort on a deadline (the planet timeout) opens it too; a plain cancel does not', async () => {
    const g = h.gateway(breaker);
    h.server.setDefault(() => ({ delayMs: 60_000, text: 'late' }));
    const cancel = new AbortController();
    const cancelled = g
      .execute({ task: 'analysis', messages: ask('c'), signal: cancel.signal })
      .catch((e) => e);
    await arrived(1);
    cancel.abort();
    expect(await cancelled).toBeInstanceOf(LLMTimeoutError);
    expect(g.cooldowns()).toEqual([]);

    class PlanetTimeoutError extends Error {
      override name = 'PlanetTimeoutError';
    }
    const deadline = new AbortController();
    const timedOut = g
      .execute({ task: 'analysis', messages: ask('d'), signal: deadline.signal })
      .catch((e) => e);
    await arrived(2);
    deadline.abort(new PlanetTimeoutError('risk did not report'));
    expect(await timedOut).toBeInstanceOf(LLMTimeoutError);
    expect(g.cooldowns()).toMatchObject([{ provider: 'openai', model: 'cheap', reason: 'breaker_open' }]);
    const next = (await g
      .execute({ task: 'analysis', messages: ask('e') })
      .catch((e) => e)) as ProviderCoolingDownError;
    expect(next.reason).toBe('breaker_open');
    expect(h.server.requests).toHaveLength(2);
  });

  it('4xx answers do not open it', async () => {
    const g = h.gateway(breaker);
    h.server.setDefault(() => ({ status: 400, message: 'bad request' }));
    for (let i = 0; i < 5; i++)
      await g.execute({ task: 'analysis', messages: ask(`f${i}`) }).catch(() => undefined);
    expect(h.server.requests).toHaveLength(5);
    expect(g.cooldowns()).toEqual([]);
  });
});

describe('a 10-minute storm driven by the injected clock', () => {
  it('keeps calls ≤ budget, cooldowns ≤ maxMs, every call in the ledger, no call to a blocked pair', async () => {
    const maxMs = 120_000;
    const g = h.gateway({
      budget: { maxCallsPerHour: 400, reserveCalls: 20 },
      cooldown: { baseMs: 5_000, maxMs },
      breaker: { failures: 3, timeouts: 1, windowMs: 30_000, openMs: 10_000, maxOpenMs: 60_000 },
      routing: {
        default: {
          prefer: [
            { provider: 'openai', model: 'cheap' },
            { provider: 'backup', model: 'spare' },
            { provider: 'anthropic', model: 'claude' },
          ],
        },
      },
    });
    let n = 0;
    h.server.setDefault((req) => {
      n += 1;
      const k = (n * 7919 + req.model.length * 31) % 10;
      if (k < 3) return { status: 500 };
      if (k === 3) return { status: 429, retryAfter: 999_999_999 };
      if (k === 4 && req.wire === 'anthropic')
        return {
          status: 529,
          rawBody: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'x' } }),
        };
      if (k === 5) return { malformed: true };
      return { json: { answer: 'ok' }, usage: { input: 100_000, output: 100_000 } };
    });
    const chain = g.openChain({ name: 'storm', maxTokens: 50_000 });
    const Answer = z.object({ answer: z.string() });
    const calledWhileBlocked: string[] = [];
    for (let second = 0; second < 600; second++) {
      const blocked = new Set(
        g.cooldowns().map((c) => (c.model === '*' ? c.provider : `${c.provider}/${c.model}`)),
      );
      for (const c of g.cooldowns()) {
        if (Number.isFinite(c.until)) expect(c.until - h.clock.now()).toBeLessThanOrEqual(maxMs);
      }
      const before = h.server.requests.length;
      await Promise.all(
        Array.from({ length: 3 }, (_, i) =>
          g.tryExecute({
            task: 'analysis',
            messages: ask(`s${second}-${i}`),
            schema: Answer,
            maxTokens: 100,
            critical: i === 0 && second % 5 === 0,
            budget: chain,
          }),
        ),
      );
      for (const r of h.server.requests.slice(before)) {
        const provider =
          r.wire === 'anthropic' ? 'anthropic' : r.path.startsWith('/v1') ? 'openai' : 'backup';
        if (blocked.has(`${provider}/${r.model}`) || blocked.has(provider)) calledWhileBlocked.push(r.model);
      }
      h.clock.advance(1_000);
    }
    const calls = h.server.requests.length;
    expect(calls).toBeGreaterThan(20);
    expect(calls).toBeLessThanOrEqual(400);
    expect(calledWhileBlocked).toEqual([]);
    expect(g.budgetStatus().callsUsed).toBe(calls);
    const s = g.ledger.summary();
    expect(s.calls).toBe(calls);
    expect(s.errorsByCode[LLMErrorCode.IN_FLIGHT]).toBeUndefined();
    expect(chain.used().tokens).toBeLessThanOrEqual(50_000);
  });
});
