import { tempDir } from '@orrery/testkit';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createReplayGateway,
  type Gateway,
  LLMBudgetExceededError,
  LLMError,
  LLMErrorCode,
  LLMProviderError,
  LLMRateLimitedError,
  LLMRecordingMissingError,
  type LLMRequest,
  LLMRequestError,
  LLMResponseFormatError,
  LLMTimeoutError,
  ProviderCoolingDownError,
  RecordingStore,
  recordError,
  recordingGateway,
  requestHash,
  reviveError,
} from '../src/index.ts';
import { type Harness, harness } from './harness.ts';

const answerSchema = z.object({ action: z.enum(['buy', 'sell', 'hold']), size: z.number() });
const ask = (content: string, extra: Partial<LLMRequest<unknown>> = {}): LLMRequest<unknown> => ({
  task: 'planet_analysis',
  messages: [
    { role: 'system', content: 'You are a test.' },
    { role: 'user', content },
  ],
  ...extra,
});

let h: Harness | undefined;
let stores: RecordingStore[] = [];
afterEach(async () => {
  for (const s of stores) s.close();
  stores = [];
  await h?.close();
  h = undefined;
});

function storeAt(path: string): RecordingStore {
  const s = RecordingStore.open(path);
  stores.push(s);
  return s;
}

describe('record and replay', () => {
  it('replays answers, typed failures and probes in the order recorded, with no provider at all', async () => {
    h = await harness();
    const store = storeAt(h.dbPath);
    const live = recordingGateway(h.gateway(), { store, runId: 'r1', clock: h.clock });
    h.server.script('cheap', [
      { json: { action: 'buy', size: 0.25 } },
      { text: 'plain words' },
      { status: 429, retryAfter: 3 },
    ]);

    const a = await live.execute({ ...ask('one'), schema: answerSchema });
    const probe1 = live.canServe('planet_analysis');
    const budget1 = live.budgetStatus();
    const b = await live.execute(ask('two'));
    const c = await live.execute(ask('three')).catch((e: unknown) => e);
    expect(c).toBeInstanceOf(LLMRateLimitedError);
    const probe2 = live.canServe('planet_analysis');
    const requestsBefore = h.server.requests.length;
    expect(requestsBefore).toBe(3);
    await h.server.close();

    const replay = createReplayGateway({ store, runId: 'r1' });
    try {
      const ra = await replay.execute({ ...ask('one'), schema: answerSchema });
      expect(ra.parsed).toEqual({ action: 'buy', size: 0.25 });
      expect(ra).toMatchObject({
        text: a.text,
        provider: 'openai',
        model: 'cheap',
        cached: true,
        costUsd: 0,
      });
      expect(replay.canServe('planet_analysis')).toBe(probe1);
      expect(replay.budgetStatus()).toEqual(budget1);
      expect((await replay.execute(ask('two'))).text).toBe(b.text);
      const rc = await replay.execute(ask('three')).catch((e: unknown) => e);
      expect(rc).toBeInstanceOf(LLMRateLimitedError);
      const orig = c as LLMRateLimitedError;
      const again = rc as LLMRateLimitedError;
      expect([again.name, again.code, again.message, again.cooldownUntil, again.retryAfterMs]).toEqual([
        orig.name,
        orig.code,
        orig.message,
        orig.cooldownUntil,
        orig.retryAfterMs,
      ]);
      expect(replay.canServe('planet_analysis')).toBe(probe2);
      const report = replay.replayReport();
      expect(report).toMatchObject({ runId: 'r1', served: 3, missing: [], probesMissing: 0, unused: 0 });
      expect(report.recordedCostUsd).toBeCloseTo(a.costUsd + b.costUsd, 12);
      expect(replay.ledger.summary({ days: 1e6 })).toMatchObject({
        calls: 0,
        costUsd: 0,
        cacheHits: 2,
        refusals: { replay: 1 },
      });
    } finally {
      await replay.close();
    }
    expect(h.server.requests.length).toBe(requestsBefore);
  });

  it('gives identical requests their answers in the order they were asked, whatever order the answers came in', async () => {
    h = await harness();
    const store = storeAt(h.dbPath);
    const live = recordingGateway(h.gateway(), { store, runId: 'order', clock: h.clock });
    let arrivals = 0;
    h.server.setDefault(() => {
      arrivals += 1;
      return arrivals === 1 ? { text: 'slow first', delayMs: 300 } : { text: `fast ${arrivals}` };
    });
    const asked = await Promise.all([0, 1, 2].map(() => live.execute(ask('same'))));
    const replay = createReplayGateway({ store, runId: 'order' });
    const again: string[] = [];
    for (let i = 0; i < 3; i++) again.push((await replay.execute(ask('same'))).text);
    expect(again).toEqual(asked.map((r) => r.text));
    // A fourth identical request was never recorded.
    await expect(replay.execute(ask('same'))).rejects.toBeInstanceOf(LLMRecordingMissingError);
    await replay.close();
  });

  it('reports a missing recording as a typed failure and never invents an answer', async () => {
    h = await harness();
    const store = storeAt(h.dbPath);
    const live = recordingGateway(h.gateway(), { store, runId: 'gap', clock: h.clock });
    h.server.setDefault(() => ({ json: { action: 'hold', size: 0 } }));
    await live.execute({ ...ask('known'), schema: answerSchema });
    await h.server.close();

    const replay = createReplayGateway({ store, runId: 'gap' });
    const err = await replay.execute(ask('never asked', { agent: 'planet:risk' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LLMRecordingMissingError);
    expect(err).toBeInstanceOf(LLMError);
    expect((err as LLMError).code).toBe(LLMErrorCode.RECORDING_MISSING);
    expect((err as Error).message).toContain('run gap has no recorded answer');
    const soft = await replay.tryExecute(ask('never asked either'));
    expect(soft).toMatchObject({ success: false, error: { code: 'ORRERY_LLM_RECORDING_MISSING' } });
    // A probe never recorded: nothing can be served, the budget reads as exhausted.
    expect(replay.canServe('sun_reasoning')).toBe(false);
    expect(replay.budgetStatus()).toMatchObject({ exhausted: true, remainingFraction: 0 });
    const report = replay.replayReport();
    expect(report.missing.map((m) => [m.task, m.agent])).toEqual([
      ['planet_analysis', 'planet:risk'],
      ['planet_analysis', undefined],
    ]);
    expect(report).toMatchObject({ served: 0, probesMissing: 2, unused: 1 });
    expect(replay.ledger.summary({ days: 1e6 })).toMatchObject({ calls: 0, refusals: { replay: 2 } });
    expect(replay.ledger.since().map((e) => e.code)).toEqual([
      'ORRERY_LLM_RECORDING_MISSING',
      'ORRERY_LLM_RECORDING_MISSING',
    ]);
    await replay.close();

    expect(() => createReplayGateway({ store, runId: 'no-such-run' })).toThrow(LLMRecordingMissingError);
  });

  it('an answer that came after its signal fired is replayed after the signal fires again', async () => {
    h = await harness();
    const store = storeAt(h.dbPath);
    const live = recordingGateway(h.gateway(), { store, runId: 'late', clock: h.clock });
    h.server.setDefault(() => ({ text: 'late answer', delayMs: 200 }));
    const first = new AbortController();
    const pending = live.execute(ask('slow', { signal: first.signal }));
    first.abort();
    const outcome = await pending.then(
      (r) => ({ ok: true as const, text: r.text }),
      (e: unknown) => ({ ok: false as const, code: (e as LLMError).code }),
    );

    const replay = createReplayGateway({ store, runId: 'late' });
    const second = new AbortController();
    let settled = false;
    const again = replay.execute(ask('slow', { signal: second.signal })).then(
      (r) => ({ ok: true as const, text: r.text }),
      (e: unknown) => ({ ok: false as const, code: (e as LLMError).code }),
    );
    void again.then(() => {
      settled = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    second.abort();
    expect(await again).toEqual(outcome);
    await replay.close();
  });

  it('a resumed run appends to its recordings; the replay sees both parts', async () => {
    h = await harness();
    const store = storeAt(h.dbPath);
    h.server.setDefault((req) => ({ text: `answer to ${JSON.stringify(req.body).length}` }));
    const g1 = recordingGateway(h.gateway(), { store, runId: 'resumed', clock: h.clock });
    const one = await g1.execute(ask('before the crash'));
    const g2 = recordingGateway(h.gateway(), { store, runId: 'resumed', clock: h.clock });
    const two = await g2.execute(ask('after the resume'));
    expect(store.run('resumed')).toMatchObject({ calls: 2, probes: 0, live: true });
    const replay = createReplayGateway({ store, runId: 'resumed' });
    expect((await replay.execute(ask('before the crash'))).text).toBe(one.text);
    expect((await replay.execute(ask('after the resume'))).text).toBe(two.text);
    await replay.close();
  });
  it('a resume drops what an uncommitted step recorded, and keeps everything after a crash past the commit', async () => {
    h = await harness();
    const store = storeAt(h.dbPath);
    h.server.setDefault((req) => ({ text: `a${JSON.stringify(req.body).length}` }));
    const live = recordingGateway(h.gateway(), { store, runId: 'steps', clock: h.clock });
    await live.execute(ask('bar 1'));
    live.canServe('planet_analysis');
    store.checkpoint('steps', 1);
    await live.execute(ask('bar 2'));
    store.checkpoint('steps', 2);
    await live.execute(ask('bar 3, never committed'));
    expect(store.rollback('steps', 2)).toBe(1);
    expect(store.run('steps')).toMatchObject({ calls: 2, probes: 1 });
    // No checkpoint for the last committed step (killed between its commit and the checkpoint): keep all.
    await recordingGateway(h.gateway(), { store, runId: 'steps', clock: h.clock }).execute(ask('bar 3'));
    expect(store.rollback('steps', 3)).toBe(0);
    expect(store.run('steps')).toMatchObject({ calls: 3 });
    // Back to the step at 1: later checkpoints go too.
    expect(store.rollback('steps', 1)).toBe(2);
    const replay = createReplayGateway({ store, runId: 'steps' });
    expect((await replay.execute(ask('bar 1'))).success).toBe(true);
    await expect(replay.execute(ask('bar 2'))).rejects.toBeInstanceOf(LLMRecordingMissingError);
    await replay.close();
    expect(store.rollback('steps', undefined)).toBe(2);
    expect(store.run('steps')).toBeUndefined();
  });
});

describe('requestHash', () => {
  const base = ask('hello', { temperature: 0, maxTokens: 100, schema: answerSchema });

  it('ignores who asked and how, but not what was asked', () => {
    const h0 = requestHash(base);
    expect(requestHash({ ...base, agent: 'planet:risk', critical: true, mode: 'FULL_AGENT' })).toBe(h0);
    expect(requestHash({ ...base, timeoutMs: 5, cache: { ttlMs: 1 } })).toBe(h0);
    expect(
      requestHash({
        ...base,
        schema: z.object({ action: z.enum(['buy', 'sell', 'hold']), size: z.number() }),
      }),
    ).toBe(h0);
    for (const changed of [
      { ...base, task: 'sun_reasoning' },
      { ...base, temperature: 0.5 },
      { ...base, maxTokens: 101 },
      { ...base, schema: undefined },
      { ...base, schema: z.object({ action: z.string() }) },
      { ...base, target: { provider: 'openai', model: 'cheap' } },
      ask('hello!', { temperature: 0, maxTokens: 100, schema: answerSchema }),
    ])
      expect(requestHash(changed)).not.toBe(h0);
    expect(requestHash(ask('a\r\nb'))).toBe(requestHash(ask('a\nb')));
  });

  it('differs whenever the messages differ (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const same = a.replace(/\r\n?/g, '\n') === b.replace(/\r\n?/g, '\n');
        expect(requestHash(ask(a)) === requestHash(ask(b))).toBe(same);
      }),
    );
  });
});

describe('recorded errors', () => {
  it('revive as the same class with the fields callers read', () => {
    const target = { provider: 'openai', model: 'cheap' };
    const errors: LLMError[] = [
      new LLMRateLimitedError('429', { ...target, retryAfterMs: 2000, cooldownUntil: 123 }),
      new ProviderCoolingDownError('cooling', { ...target, until: 456 }),
      new LLMBudgetExceededError('spent', { ...target, budget: 'chain' }),
      new LLMTimeoutError('slow', { ...target, timeoutMs: 10 }),
      new LLMResponseFormatError('bad json', { ...target, raw: '{oops' }),
      new LLMProviderError('502', { ...target, status: 502 }),
      new LLMRequestError('no task', { field: 'task' }),
    ];
    for (const e of errors) {
      const back = reviveError(JSON.parse(JSON.stringify(recordError(e))));
      expect(back.constructor).toBe(e.constructor);
      expect(back).toBeInstanceOf(LLMError);
      const keys = [
        'name',
        'message',
        'code',
        'provider',
        'model',
        'until',
        'budget',
        'timeoutMs',
        'raw',
        'status',
        'field',
        'retryAfterMs',
        'cooldownUntil',
      ];
      const pick = (x: object) => Object.fromEntries(keys.map((k) => [k, (x as Record<string, unknown>)[k]]));
      expect(pick(back)).toEqual(pick(e));
    }
    const plain = reviveError(recordError(new TypeError('boom')));
    expect([plain.name, plain.message, plain instanceof LLMError]).toEqual(['TypeError', 'boom', false]);
  });

  it('an unusable request is recorded as refused and replays as refused', async () => {
    h = await harness();
    const dir = tempDir('orrery-rec-');
    try {
      const store = storeAt(`${dir.path}/rec.db`);
      const live: Gateway = recordingGateway(h.gateway(), { store, runId: 'bad', clock: h.clock });
      const bad = { task: 'planet_analysis', messages: [] } as LLMRequest<unknown>;
      await expect(live.execute(bad)).rejects.toBeInstanceOf(LLMRequestError);
      const replay = createReplayGateway({ store, runId: 'bad' });
      await expect(replay.execute(bad)).rejects.toBeInstanceOf(LLMRequestError);
      await replay.close();
    } finally {
      dir.remove();
    }
  });
});
