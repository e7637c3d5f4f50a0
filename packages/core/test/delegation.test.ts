import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_TASK_TYPES,
  delegate,
  delegateWithFallback,
  fallbackChain,
  quick,
  summarise,
  translate,
} from '../src/index.ts';
import { type Harness, harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const openai = (model: string) => ({ provider: 'openai', model });
const backup = (model: string) => ({ provider: 'backup', model });
const ollama = (model: string) => ({ provider: 'ollama', model });

function messagesOf(body: unknown): { role: string; content: string }[] {
  return (body as { messages: { role: string; content: string }[] }).messages;
}

describe('task types route through the gateway', () => {
  it('sends each task to its rule’s model, with the task’s system prompt, and records the task in the ledger', async () => {
    const g = h.gateway({
      routing: {
        rules: {
          quick: { prefer: [ollama('tiny')] },
          review: { prefer: [openai('smart')] },
        },
      },
    });
    const q = await delegateWithFallback(g, 'what is 2+2?', { task: 'quick' });
    const r = await delegateWithFallback(g, 'diff --git a b', { task: 'review' });
    expect([q.model, r.model]).toEqual(['tiny', 'smart']);
    expect(q).toMatchObject({ success: true, task: 'quick', provider: 'ollama', text: 'echo: what is 2+2?' });
    const body = h.server.requestsFor('smart')[0]?.body as {
      max_completion_tokens: number;
      temperature: number;
    };
    expect(messagesOf(body)[0]).toEqual({ role: 'system', content: DEFAULT_TASK_TYPES.review?.systemPrompt });
    expect(body.max_completion_tokens).toBe(DEFAULT_TASK_TYPES.review?.maxTokens);
    expect(body.temperature).toBe(DEFAULT_TASK_TYPES.review?.temperature);
    const rows = g.ledger.since();
    expect(rows.map((e) => [e.task, e.agent, e.model, e.outcome])).toEqual([
      ['quick', 'delegate', 'tiny', 'ok'],
      ['review', 'delegate', 'smart', 'ok'],
    ]);
    expect(q.costUsd).toBe(0);
    expect(r.costUsd).toBeGreaterThan(0);
  });

  it('uses routing.default for a task without a rule, and the local model first for trivial tasks', async () => {
    const g = h.gateway({ routing: { trivial: { enabled: true, maxTokens: 64, temperature: 0 } } });
    expect(fallbackChain(g.config, 'translation').map((c) => c.model)).toEqual(['cheap']);
    expect(fallbackChain(g.config, 'summarise').map((c) => `${c.provider}/${c.model}`)).toEqual([
      'ollama/tiny',
      'openai/cheap',
    ]);
    h.server.script('tiny', [{ status: 503 }]);
    const res = await summarise(g, 'a long text', { maxTokens: 900, temperature: 0.7 });
    expect(res).toMatchObject({ success: true, model: 'cheap' });
    // A pinned call to the local model still carries the trivial limits the gateway's routing would apply.
    const local = h.server.requestsFor('tiny')[0]?.body as { max_tokens: number; temperature: number };
    expect(local).toMatchObject({ max_tokens: 64, temperature: 0 });
    const paid = h.server.requestsFor('cheap')[0]?.body as {
      max_completion_tokens: number;
      temperature: number;
    };
    expect(paid).toMatchObject({ max_completion_tokens: 900, temperature: 0.7 });
  });

  it('helpers name their task and shape the prompt', async () => {
    const g = h.gateway();
    const t = await translate(g, 'bonjour', 'English');
    expect(t.task).toBe('translation');
    expect(messagesOf(h.server.requests[0]?.body).at(-1)?.content).toBe('Translate into English:\n\nbonjour');
    const q = await quick(g, 'hi', { system: 'be terse' });
    expect(messagesOf(h.server.requests[1]?.body)[0]).toEqual({ role: 'system', content: 'be terse' });
    expect(q.task).toBe('quick');
  });
});

describe('the fallback chain', () => {
  const chain = [openai('m429'), backup('m500'), openai('mslow'), ollama('mok')];

  it('moves on after a 429, a 5xx and a timeout, calling each model exactly once', async () => {
    const g = h.gateway();
    h.server.script('m429', [{ status: 429 }]);
    h.server.script('m500', [{ status: 502, message: 'bad gateway' }]);
    h.server.script('mslow', [{ delayMs: 30_000, text: 'too late' }]);
    h.server.script('mok', [{ text: 'fine', usage: { input: 12, output: 40 } }]);
    const res = await delegateWithFallback(g, 'go', { task: 'quick', chain, timeoutMs: 1_500 });
    expect(res).toMatchObject({
      success: true,
      text: 'fine',
      provider: 'ollama',
      model: 'mok',
      tokensOut: 40,
    });
    expect(res.attempts.map((a) => [a.model, a.called, a.error?.code])).toEqual([
      ['m429', true, 'ORRERY_LLM_RATE_LIMITED'],
      ['m500', true, 'ORRERY_LLM_PROVIDER'],
      ['mslow', true, 'ORRERY_LLM_TIMEOUT'],
      ['mok', true, undefined],
    ]);
    for (const m of ['m429', 'm500', 'mslow', 'mok']) expect(h.server.requestsFor(m), m).toHaveLength(1);
    const answered = res.attempts.at(-1)?.latencyMs ?? 0;
    expect(res.tokensPerSec).toBeCloseTo(40 / (answered / 1000), 6);
    expect(g.ledger.since().map((e) => [e.model, e.outcome, e.task])).toEqual([
      ['m429', 'error', 'quick'],
      ['m500', 'error', 'quick'],
      ['mslow', 'error', 'quick'],
      ['mok', 'ok', 'quick'],
    ]);
  });

  it('skips a cooling model without calling it, and calls it again once the cooldown ends', async () => {
    const g = h.gateway();
    h.server.script('m429', [{ status: 429, retryAfter: 10 }]);
    await delegateWithFallback(g, 'one', { task: 'quick', chain });
    expect(g.isCoolingDown('openai', 'm429')).toBe(true);
    const second = await delegateWithFallback(g, 'two', { task: 'quick', chain });
    expect(second.attempts[0]).toMatchObject({ model: 'm429', called: false });
    expect(second.attempts[0]?.error?.code).toBe('ORRERY_LLM_COOLING_DOWN');
    expect(second.model).toBe('m500');
    expect(h.server.requestsFor('m429')).toHaveLength(1);
    h.clock.advance(10_001);
    const third = await delegateWithFallback(g, 'three', { task: 'quick', chain });
    expect(third).toMatchObject({ success: true, model: 'm429' });
    expect(h.server.requestsFor('m429')).toHaveLength(2);
  });

  it('never throws when every model fails: success false, the last error, every attempt listed', async () => {
    const g = h.gateway();
    const two = [openai('a'), backup('b')];
    h.server.script('a', [{ status: 500 }]);
    h.server.script('b', [{ status: 429 }]);
    const res = await delegateWithFallback(g, 'x', { task: 'quick', chain: two });
    expect(res).toMatchObject({ success: false, text: '', provider: 'backup', model: 'b', tokensPerSec: 0 });
    expect(res.error?.code).toBe('ORRERY_LLM_RATE_LIMITED');
    expect(res.error?.message).toContain('openai/a: ORRERY_LLM_PROVIDER');
    expect(res.attempts).toHaveLength(2);
  });

  it('lets the judgment policy refuse a local model in an explicit chain (no call), then uses the next', async () => {
    const g = h.gateway();
    const res = await delegateWithFallback(g, 'buy?', {
      task: 'trade_decision',
      chain: [ollama('tiny'), openai('cheap')],
    });
    expect(res).toMatchObject({ success: true, model: 'cheap' });
    expect(res.attempts[0]).toMatchObject({ model: 'tiny', called: false });
    expect(res.attempts[0]?.error?.code).toBe('ORRERY_LLM_POLICY');
    expect(h.server.requestsFor('tiny')).toHaveLength(0);
  });

  it('stops when the hourly call budget is spent (every model would be refused alike)', async () => {
    const g = h.gateway({ budget: { maxCallsPerHour: 1, reserveCalls: 0 } });
    expect((await delegateWithFallback(g, 'one', { task: 'quick', chain })).success).toBe(true);
    const res = await delegateWithFallback(g, 'two', { task: 'quick', chain });
    expect(res.success).toBe(false);
    expect(res.error?.code).toBe('ORRERY_LLM_BUDGET_EXCEEDED');
    expect(res.attempts).toHaveLength(1);
    expect(h.server.requests).toHaveLength(1);
  });

  it('refuses an empty prompt without a call', async () => {
    const g = h.gateway();
    const res = await delegateWithFallback(g, '  \n', { task: 'quick', chain });
    expect(res).toMatchObject({ success: false, attempts: [] });
    expect(res.error?.code).toBe('ORRERY_LLM_INVALID_REQUEST');
    expect(h.server.requests).toHaveLength(0);
  });

  it('delegate() makes one gateway request: no fallback after a failed call', async () => {
    const g = h.gateway({ routing: { rules: { quick: { prefer: [openai('first'), backup('second')] } } } });
    h.server.script('first', [{ status: 503 }, { status: 503 }]);
    const res = await delegate(g, 'x', { task: 'quick' });
    expect(res.success).toBe(false);
    expect(res.attempts.map((a) => [a.model, a.error?.code])).toEqual([['first', 'ORRERY_LLM_PROVIDER']]);
    expect(h.server.requestsFor('second')).toHaveLength(0);
    const again = await delegateWithFallback(g, 'x', { task: 'quick' });
    expect(again).toMatchObject({ success: true, model: 'second' });
    expect(again.attempts.map((a) => a.model)).toEqual(['first', 'second']);
  });

  it('property: a pair is called at most once per delegation, and the first one that answers wins', async () => {
    const g = h.gateway();
    const reply = fc.constantFrom('ok', '429', '500', 'garbage');
    const models = ['p', 'q', 'r', 's'];
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('openai', 'backup'), fc.constantFrom(...models)), {
          minLength: 1,
          maxLength: 7,
        }),
        fc.dictionary(fc.constantFrom(...models), reply),
        async (pairs, plan) => {
          run += 1;
          // Fresh model names each run, so no cooldown carries over between runs.
          const name = (m: string) => `${m}${run}`;
          const chainOf = pairs.map(([provider, m]) => ({ provider, model: name(m) }));
          const unique = [...new Map(chainOf.map((c) => [`${c.provider}/${c.model}`, c])).values()];
          const outcome = (c: { model: string }) => plan[c.model.replace(/\d+$/, '')] ?? 'ok';
          for (const c of unique) {
            const o = outcome(c);
            const r =
              o === 'ok'
                ? { text: `from ${c.model}` }
                : o === '429'
                  ? { status: 429 }
                  : o === '500'
                    ? { status: 500 }
                    : { rawBody: 'not json' };
            h.server.script(c.model, [r]);
          }
          const before = h.server.requests.length;
          const res = await delegateWithFallback(g, 'x', { task: 'quick', chain: chainOf });
          const seen = h.server.requests.slice(before).map((r) => `${r.path}|${r.model}`);
          expect(new Set(seen).size).toBe(seen.length);
          const winner = unique.findIndex((c) => outcome(c) === 'ok');
          expect(res.success).toBe(winner >= 0);
          expect(res.attempts.map((a) => `${a.provider}/${a.model}`)).toEqual(
            unique.slice(0, winner >= 0 ? winner + 1 : unique.length).map((c) => `${c.provider}/${c.model}`),
          );
          if (winner >= 0) expect(res.text).toBe(`from ${unique[winner]?.model}`);
          h.server.reset();
        },
      ),
      { numRuns: 40 },
    );
  });
});
