import { startLlmServer } from '@orrery/testkit';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function post(
  url: string,
  body: unknown,
): Promise<{ status: number; json: unknown; headers: Record<string, unknown> }> {
  const res = await request(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: JSON.parse(text), headers: res.headers };
}

describe('testkit loopback LLM server', () => {
  it('speaks Ollama natively: /api/tags lists models, /api/chat answers with eval counts', async () => {
    const server = await startLlmServer({ models: ['llama3.2:3b'] });
    servers.push(server);
    const tags = await request(`${server.url}/api/tags`);
    expect(await tags.body.json()).toMatchObject({ models: [{ name: 'llama3.2:3b' }] });
    server.script('llama3.2:3b', [{ json: { ok: true }, usage: { input: 12, output: 4 } }]);
    const res = await post(`${server.url}/api/chat`, {
      model: 'llama3.2:3b',
      messages: [{ role: 'user', content: 'hi' }],
      format: 'json',
      stream: false,
    });
    expect(res.json).toMatchObject({
      message: { role: 'assistant', content: '{"ok":true}' },
      done: true,
      prompt_eval_count: 12,
      eval_count: 4,
    });
    expect(server.requests[0]).toMatchObject({ wire: 'ollama', jsonMode: true, model: 'llama3.2:3b' });
  });

  it('plays scripted replies in order per model, then falls back to the default responder', async () => {
    const server = await startLlmServer({ respond: (req) => ({ text: `default for ${req.model}` }) });
    servers.push(server);
    server.script('a', [{ status: 429, retryAfter: 7 }, { status: 503 }, { text: 'third' }]);
    const call = () =>
      post(`${server.url}/chat/completions`, { model: 'a', messages: [{ role: 'user', content: 'x' }] });
    const r1 = await call();
    expect([r1.status, r1.headers['retry-after']]).toEqual([429, '7']);
    expect((await call()).status).toBe(503);
    const r3 = await call();
    expect(r3.json).toMatchObject({
      choices: [{ message: { content: 'third' } }],
      usage: { prompt_tokens: expect.any(Number) },
    });
    expect((await call()).json).toMatchObject({ choices: [{ message: { content: 'default for a' } }] });
    expect(server.requestsFor('a')).toHaveLength(4);
    server.reset();
    expect(server.requests).toHaveLength(0);
  });

  it('answers Anthropic errors in its format and unknown routes with 404', async () => {
    const server = await startLlmServer();
    servers.push(server);
    server.script('c', [{ status: 429 }]);
    const res = await post(`${server.url}/v1/messages`, { model: 'c', max_tokens: 5, messages: [] });
    expect(res).toMatchObject({ status: 429, json: { type: 'error', error: { type: 'rate_limit_error' } } });
    expect((await post(`${server.url}/v2/else`, {})).status).toBe(404);
  });
});
