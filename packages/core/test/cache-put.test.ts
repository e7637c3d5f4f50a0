import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createReplayGateway,
  LLMCacheMissError,
  type LLMRequest,
  RecordingStore,
  recordingGateway,
} from '../src/index.ts';
import { ask, type Harness, harness, OPENAI_KEY } from './harness.ts';

const View = z.object({ view: z.string() });
const DAY = 86_400_000;

let h: Harness | undefined;
let store: RecordingStore | undefined;
afterEach(async () => {
  store?.close();
  store = undefined;
  await h?.close();
  h = undefined;
});

/** A request naming its own cache key; `only`: a lookup that never calls. */
const req = (key: string, only = false): LLMRequest<{ view: string }> => ({
  task: 'planet_analysis',
  messages: ask(`close 101.2 (${key})`),
  schema: View,
  cache: { ttlMs: DAY, key, ...(only ? { only: true } : {}) },
});
const answer = (view: string) => ({
  provider: 'openai',
  model: 'cheap',
  text: JSON.stringify({ view }),
  tokensIn: 120,
  tokensOut: 30,
});

describe('Gateway.cachePut and cache-only lookups (cache.only)', () => {
  it('a stored answer is served by a lookup — no call, no budget, a cache_hit row; a miss or an expired entry is ORRERY_LLM_CACHE_MISS with no call', async () => {
    h = await harness();
    const g = h.gateway();
    expect(g.cachePut(req('k1'), answer('up'))).toBe(true);
    const budget = g.budgetStatus().callsUsed;

    const hit = await g.execute(req('k1', true));
    expect(hit).toMatchObject({ cached: true, costUsd: 0, parsed: { view: 'up' }, tokensIn: 120 });
    const miss = await g.execute(req('k2', true)).catch((e: unknown) => e);
    expect(miss).toBeInstanceOf(LLMCacheMissError);
    expect(miss).toMatchObject({ code: 'ORRERY_LLM_CACHE_MISS' });

    h.clock.advance(DAY + 1);
    await expect(g.execute(req('k1', true))).rejects.toBeInstanceOf(LLMCacheMissError);
    expect(h.server.requests).toHaveLength(0);
    expect(g.budgetStatus().callsUsed).toBe(budget);
    expect(g.ledger.since().map((e) => e.outcome)).toEqual(['cache_hit']);

    // a request without cache settings stores nothing
    expect(g.cachePut({ task: 'planet_analysis', messages: ask('x') }, answer('up'))).toBe(false);
  });

  it('the stored text is redacted like a called answer', async () => {
    h = await harness();
    const g = h.gateway();
    g.cachePut(req('k1'), answer(`key ${OPENAI_KEY}`));
    const hit = await g.execute(req('k1', true));
    expect(hit.text).not.toContain(OPENAI_KEY);
  });

  it('lookups are recorded like answers: a replay serves the hit and throws the miss, and stores nothing', async () => {
    h = await harness();
    store = RecordingStore.open(h.dbPath);
    const live = recordingGateway(h.gateway(), { store, runId: 'r1', clock: h.clock });
    expect(live.cachePut(req('k1'), answer('up'))).toBe(true);
    const hit = await live.execute(req('k1', true));
    await expect(live.execute(req('k2', true))).rejects.toBeInstanceOf(LLMCacheMissError);

    const replay = createReplayGateway({ store, runId: 'r1' });
    try {
      expect(replay.cachePut(req('k2'), answer('down'))).toBe(false);
      expect(await replay.execute(req('k1', true))).toMatchObject({ parsed: hit.parsed, cached: true });
      await expect(replay.execute(req('k2', true))).rejects.toBeInstanceOf(LLMCacheMissError);
      expect(replay.replayReport().missing).toHaveLength(0);
    } finally {
      await replay.close();
    }
  });
});
