import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type Gateway,
  LLMErrorCode,
  LLMRateLimitedError,
  type LLMRequest,
  LLMRequestError,
  type LlmHandler,
  metricsMiddleware,
  ProviderCoolingDownError,
  RecordingStore,
  recordingMiddleware,
} from '../src/index.ts';
import { ask, type Harness, harness } from './harness.ts';

/**
 * One contract for the call path, run against the plain gateway and against the same gateway with the
 * middleware a paper run puts on it (recording, metrics, a bare handler that only watches). Middleware
 * that only records or counts must not change a single answer, failure, ledger row or probe.
 */
const variants: { name: string; make: (h: Harness, stores: RecordingStore[]) => Gateway }[] = [
  { name: 'plain gateway', make: (h) => h.gateway() },
  {
    name: 'gateway with middleware',
    make: (h, stores) => {
      const store = RecordingStore.open(h.dbPath);
      stores.push(store);
      const watched: string[] = [];
      const watch: LlmHandler = async (req, next) => {
        watched.push(req.task);
        return next(req);
      };
      return h
        .gateway()
        .use(
          watch,
          metricsMiddleware().middleware,
          recordingMiddleware({ store, runId: 'contract', clock: h.clock }),
        );
    },
  },
];

const answerSchema = z.object({ action: z.enum(['buy', 'sell', 'hold']) });
const req = (content: string, extra: Partial<LLMRequest<unknown>> = {}): LLMRequest<unknown> => ({
  task: 'planet_analysis',
  messages: ask(content),
  ...extra,
});

for (const variant of variants) {
  describe(`LlmCaller contract: ${variant.name}`, () => {
    let h: Harness | undefined;
    let stores: RecordingStore[] = [];
    afterEach(async () => {
      await h?.close();
      for (const s of stores) s.close();
      stores = [];
      h = undefined;
    });
    const open = async (): Promise<{ h: Harness; g: Gateway }> => {
      h = await harness();
      return { h, g: variant.make(h, stores) };
    };

    it('answers with the provider, model, usage and parsed answer, and writes one ledger row', async () => {
      const { h, g } = await open();
      h.server.script('cheap', [{ json: { action: 'buy' } }]);
      const res = await g.execute({ ...req('go'), schema: answerSchema });
      expect(res).toMatchObject({ success: true, cached: false, provider: 'openai', model: 'cheap' });
      expect(res.parsed).toEqual({ action: 'buy' });
      expect(res.tokensIn).toBeGreaterThan(0);
      expect(res.costUsd).toBeGreaterThan(0);
      expect(g.ledger.summary({ days: 1 })).toMatchObject({ calls: 1, refusals: {} });
    });

    it('answers concurrent requests each with its own answer', async () => {
      const { g } = await open();
      const asked = ['alpha', 'beta', 'gamma', 'delta'];
      const answers = await Promise.all(asked.map((w) => g.execute(req(w))));
      for (const [i, a] of answers.entries()) expect(a.text).toContain(asked[i]);
    });

    it('refuses a bad request with a typed error before any call, and ledgers the refusal', async () => {
      const { h, g } = await open();
      await expect(g.execute({ task: 'planet_analysis', messages: [] })).rejects.toBeInstanceOf(
        LLMRequestError,
      );
      expect(h.server.requests).toHaveLength(0);
      expect(g.ledger.summary({ days: 1 }).refusals).toEqual({ invalid_request: 1 });
    });

    it('a 429 is a typed failure, the pair cools, the next request is refused without a call', async () => {
      const { h, g } = await open();
      h.server.script('cheap', [{ status: 429, retryAfter: 5 }]);
      await expect(g.execute(req('one'))).rejects.toBeInstanceOf(LLMRateLimitedError);
      expect(g.isCoolingDown('openai', 'cheap')).toBe(true);
      expect(g.canServe('planet_analysis')).toBe(false);
      await expect(g.execute(req('two'))).rejects.toBeInstanceOf(ProviderCoolingDownError);
      expect(h.server.requests).toHaveLength(1);
      const failed = await g.tryExecute(req('three'));
      expect(failed).toMatchObject({ success: false, error: { code: LLMErrorCode.COOLING_DOWN } });
    });

    it('probes see the budget the calls used', async () => {
      const { g } = await open();
      expect(g.canServe('planet_analysis')).toBe(true);
      const before = g.budgetStatus().callsUsed;
      await g.execute(req('count me'));
      expect(g.budgetStatus().callsUsed).toBe(before + 1);
    });

    it('an answer stored with cachePut serves a cache-only lookup without a call', async () => {
      const { h, g } = await open();
      const cached = req('stored', { cache: { key: 'k1', ttlMs: 60_000, only: true } });
      await expect(g.execute(cached)).rejects.toMatchObject({ code: LLMErrorCode.CACHE_MISS });
      expect(
        g.cachePut(cached, {
          provider: 'openai',
          model: 'cheap',
          text: 'from the batch',
          tokensIn: 3,
          tokensOut: 4,
        }),
      ).toBe(true);
      const hit = await g.execute(cached);
      expect(hit).toMatchObject({ text: 'from the batch', cached: true, costUsd: 0 });
      expect(h.server.requests).toHaveLength(0);
    });
  });
}
