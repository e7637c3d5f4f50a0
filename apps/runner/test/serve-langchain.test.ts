import { ChatOpenAI } from '@langchain/openai';
import { echoResponder } from '@orrery/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CompatHarness, compatHarness } from './support/compat-harness.ts';
import { SERVE_MODELS } from './support/serve-harness.ts';

let h: CompatHarness;
beforeAll(async () => {
  h = await compatHarness();
});
afterAll(async () => h.close());
beforeEach(() => {
  h.server.reset();
  h.server.setDefault(echoResponder);
});

/** LangChain's chat model on the server, its own retries (6, with backoff) left on. */
const chat = (apiKey: string, model = 'orrery/chat') =>
  new ChatOpenAI({ model, apiKey, configuration: { baseURL: `${h.url}/v1` } });

describe('@langchain/openai ChatOpenAI against orrery serve', () => {
  it('invokes and streams through the gateway', async () => {
    const { key } = h.keys.create({ name: 'langchain' });
    h.server.script(SERVE_MODELS.execute, [
      { text: 'Hold.', usage: { input: 9, output: 2 } },
      { text: 'Trim the position into strength; keep the stop where it is.' },
    ]);
    const msg = await chat(key).invoke('BTC fell 2%. View?');
    expect(msg.content).toBe('Hold.');
    expect(msg.usage_metadata).toMatchObject({ input_tokens: 9, output_tokens: 2 });
    let text = '';
    let chunks = 0;
    for await (const c of await chat(key).stream('And now?')) {
      text += String(c.content);
      chunks += 1;
    }
    expect(text).toBe('Trim the position into strength; keep the stop where it is.');
    expect(chunks).toBeGreaterThan(1);
    expect(h.gateway.ledger.since(0).at(-1)?.agent).toBe('key:langchain');
  });

  it("a spent key stops LangChain's own retries: one request (insufficient_quota)", async () => {
    const { key } = h.keys.create({ name: 'lc-one', maxCalls: 1 });
    await chat(key).invoke('first');
    const before = h.received();
    await expect(chat(key).invoke('second')).rejects.toThrow(/has made 1 of its 1 calls/);
    expect(h.received() - before).toBe(1);
    expect(h.server.requests).toHaveLength(1);
  });

  it('a cooling model whose Retry-After is past a minute is one request per call, no provider call', async () => {
    const { key } = h.keys.create({ name: 'lc-cool' });
    h.server.script(SERVE_MODELS.planet, [{ status: 429, retryAfter: 300 }]);
    const before = h.received();
    await expect(chat(key, SERVE_MODELS.planet).invoke('a')).rejects.toThrow();
    await expect(chat(key, SERVE_MODELS.planet).invoke('b')).rejects.toThrow();
    expect(h.received() - before).toBe(2);
    expect(h.server.requestsFor(SERVE_MODELS.planet)).toHaveLength(1);
    h.clock.advance(600_001);
  });
});
