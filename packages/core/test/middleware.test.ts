import { afterEach, describe, expect, it } from 'vitest';
import {
  composeCaller,
  createOfflineGateway,
  LLMErrorCode,
  LLMPolicyError,
  LLMRateLimitedError,
  type LLMRequest,
  type LLMResponse,
  type LlmCaller,
  type LlmHandler,
  type LlmMiddlewareObject,
  metricsMiddleware,
} from '../src/index.ts';
import { ask, type Harness, harness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const req = (content: string): LLMRequest<unknown> => ({ task: 'planet_analysis', messages: ask(content) });
const answer = (text: string): LLMResponse<unknown> => ({
  text,
  provider: 'fake',
  model: 'm',
  latencyMs: 1,
  tokensIn: 1,
  tokensOut: 1,
  costUsd: 0,
  cached: false,
  success: true,
});

/** A middleware that logs `name>` on the way in and `<name` on the way out. */
const traced =
  (name: string, log: string[]): LlmHandler =>
  async (r, next) => {
    log.push(`${name}>`);
    try {
      return await next(r);
    } finally {
      log.push(`<${name}`);
    }
  };

describe('gateway.use', () => {
  it('runs the first middleware of a use outermost, and a later use outside an earlier one', async () => {
    h = await harness();
    const log: string[] = [];
    const g = h.gateway().use(traced('record', log)).use(traced('audit', log), traced('warm', log));
    const res = await g.execute(req('hello'));
    expect(res.text).toContain('hello');
    expect(log).toEqual(['audit>', 'warm>', 'record>', '<record', '<warm', '<audit']);
    // tryExecute takes the same path
    log.length = 0;
    await g.tryExecute(req('again'));
    expect(log).toEqual(['audit>', 'warm>', 'record>', '<record', '<warm', '<audit']);
  });

  it('a middleware may answer without calling next: no provider request, no ledger row', async () => {
    h = await harness();
    const g = h
      .gateway()
      .use(async <T>(r: LLMRequest<T>) => answer(`short-circuit ${r.task}`) as LLMResponse<T>);
    expect((await g.execute(req('x'))).text).toBe('short-circuit planet_analysis');
    expect(h.server.requests).toHaveLength(0);
    expect(g.ledger.summary({ days: 1 }).calls).toBe(0);
  });

  it('probes and cache stores go through the hooks that are given, and past the ones that are not', async () => {
    h = await harness();
    const seen: string[] = [];
    const hooks: LlmMiddlewareObject = {
      probe: (p, next) => {
        seen.push(p.kind === 'canServe' ? `canServe ${p.task} ${p.critical}` : 'budgetStatus');
        return p.kind === 'canServe' ? false : next(p);
      },
      cachePut: (r, a, next) => {
        seen.push(`cachePut ${r.task}`);
        return next(r, a);
      },
    };
    const g = h.gateway().use(hooks, async (r, next) => next(r));
    expect(g.canServe('planet_analysis', { critical: true })).toBe(false);
    expect(g.budgetStatus().exhausted).toBe(false);
    const cached = { ...req('c'), cache: { key: 'k', ttlMs: 1_000 } };
    expect(
      g.cachePut(cached, { provider: 'openai', model: 'cheap', text: 't', tokensIn: 1, tokensOut: 1 }),
    ).toBe(true);
    expect(seen).toEqual(['canServe planet_analysis true', 'budgetStatus', 'cachePut planet_analysis']);
    // the execute-only object form leaves calls alone
    expect((await g.execute(req('passes'))).text).toContain('passes');
  });
});

describe('metricsMiddleware', () => {
  it('counts requests, calls with their tokens and cost, cache hits and failures by code', async () => {
    h = await harness();
    const m = metricsMiddleware();
    const g = h.gateway().use(m.middleware);
    h.server.script('cheap', [{ text: 'one' }, { status: 429 }]);
    const a = await g.execute({ ...req('a'), cache: { key: 'a', ttlMs: 60_000 } });
    await g.execute({ ...req('a'), cache: { key: 'a', ttlMs: 60_000 } });
    await expect(g.execute(req('b'))).rejects.toBeInstanceOf(LLMRateLimitedError);
    const s = m.snapshot();
    expect(s).toMatchObject({ requests: 3, callsOk: 1, cacheHits: 1, callsFailed: 1 });
    expect(s.errorsByCode).toEqual({ [LLMErrorCode.RATE_LIMITED]: 1 });
    expect(s.tokensIn).toBe(a.tokensIn);
    expect(s.costUsd).toBeCloseTo(a.costUsd, 12);
    expect(s.latency.count).toBe(1);
  });

  it('counts typed failures as refusals when told to', async () => {
    const m = metricsMiddleware({ refusedAs: 'replay' });
    const caller = composeCaller({ execute: () => Promise.reject(new LLMPolicyError('no')) }, [m.middleware]);
    await expect(caller.execute(req('x'))).rejects.toBeInstanceOf(LLMPolicyError);
    expect(m.snapshot()).toMatchObject({ requests: 1, callsFailed: 0, refusals: { replay: 1 } });
  });
});

describe('composeCaller', () => {
  it('puts middleware around a caller that is not a gateway, first outermost', async () => {
    const log: string[] = [];
    const base: LlmCaller = {
      execute: async <T>(r: LLMRequest<T>) => {
        log.push('base');
        return answer(String(r.messages[0]?.content)) as LLMResponse<T>;
      },
    };
    const rewrite: LlmHandler = (r, next) => next({ ...r, messages: ask('rewritten') });
    const caller = composeCaller(base, [traced('outer', log), rewrite, traced('inner', log)]);
    expect((await caller.execute(req('original'))).text).toBe('rewritten');
    expect(log).toEqual(['outer>', 'inner>', 'base', '<inner', '<outer']);
  });
});

describe('createOfflineGateway', () => {
  it('reaches no provider: a request reaching its end is refused, nothing can be served, nothing cools', async () => {
    const g = createOfflineGateway();
    await expect(g.execute(req('x'))).rejects.toBeInstanceOf(LLMPolicyError);
    expect(g.canServe('planet_analysis')).toBe(false);
    expect(g.budgetStatus().exhausted).toBe(true);
    expect(g.candidatesFor('planet_analysis')).toEqual([]);
    expect(g.metrics()).toMatchObject({ requests: 1, callsFailed: 1, cacheEntries: 0 });
    // its middleware answers
    g.use(async <T>() => answer('from middleware') as LLMResponse<T>);
    expect((await g.execute(req('y'))).text).toBe('from middleware');
    await g.close();
    await expect(g.execute(req('z'))).rejects.toThrow('Gateway is closed');
  });
});
