import { join } from 'node:path';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_KEY, SERVE_MODELS } from './support/serve-harness.ts';
import { type OrreryProcess, startOrreryProcess, writeServeConfig } from './support/serve-process.ts';

let server: LlmServer;
let dir: { path: string; remove(): void };
let config: string;
let db: string;
beforeAll(async () => {
  server = await startLlmServer();
  dir = tempDir('orrery-serve-replay-');
  config = writeServeConfig(dir.path, server);
  db = join(dir.path, 'gateway.db');
});
afterAll(async () => {
  await server.close();
  dir.remove();
});

/** Starts `orrery serve` on a free port with the test's config and gateway file; resolves with its URL. */
async function serve(extra: readonly string[]): Promise<{ p: OrreryProcess; url: string }> {
  const p = startOrreryProcess(
    dir.path,
    ['serve', '--port', '0', '--gateway-db', db, '--config', config, ...extra],
    { OPENAI_API_KEY: SECRET_KEY },
  );
  const m = await p.line(/listening on (http:\/\/\S+) /);
  return { p, url: m[1] as string };
}

async function stop(p: OrreryProcess): Promise<void> {
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
}

const ask = (url: string, content: string) =>
  new OpenAI({ apiKey: 'unused', baseURL: `${url}/v1`, maxRetries: 0 }).chat.completions.create({
    model: 'orrery/chat',
    messages: [{ role: 'user', content }],
  });

describe('orrery serve --record / --replay', () => {
  it('replays a recorded session with no provider call: same answers, in order; unrecorded prompts are refused', async () => {
    server.script(SERVE_MODELS.execute, [
      { text: 'first: hold', usage: { input: 7, output: 3 } },
      { text: 'second: trim', usage: { input: 7, output: 3 } },
      { text: 'other: buy', usage: { input: 7, output: 3 } },
    ]);
    const live = await serve(['--record', 'sess-1']);
    // printed after the listening line: wait for it rather than read what has arrived so far
    await live.p.line(/recording session sess-1 in /);
    const recorded = [
      await ask(live.url, 'view?'),
      await ask(live.url, 'view?'),
      await ask(live.url, 'and BTC?'),
    ].map((r) => r.choices[0]?.message.content);
    expect(recorded).toEqual(['first: hold', 'second: trim', 'other: buy']);
    await stop(live.p);
    const calls = server.requests.length;
    expect(calls).toBe(3);

    const replay = await serve(['--replay', 'sess-1']);
    try {
      await replay.p.line(/replaying session sess-1 .*no provider is called/);
      // the same prompts, asked in another order: each prompt's answers come back in its recorded order
      const again = [
        await ask(replay.url, 'and BTC?'),
        await ask(replay.url, 'view?'),
        await ask(replay.url, 'view?'),
      ];
      expect(again.map((r) => r.choices[0]?.message.content)).toEqual([
        'other: buy',
        'first: hold',
        'second: trim',
      ]);
      expect(again[0]?.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3 });
      const missing = await ask(replay.url, 'view?').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(OpenAI.APIError);
      expect((missing as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
      expect(
        ((missing as InstanceType<typeof OpenAI.APIError>).error as { orrery_code?: string }).orrery_code,
      ).toBe('ORRERY_LLM_RECORDING_MISSING');
      expect(server.requests.length).toBe(calls);
    } finally {
      await stop(replay.p);
    }
  }, 180_000);

  it('refuses a session that was never recorded, and both flags at once, with a usage error', async () => {
    const none = startOrreryProcess(
      dir.path,
      ['serve', '--port', '0', '--gateway-db', db, '--config', config, '--replay', 'never'],
      {},
    );
    expect(await none.exited).not.toBe(0);
    expect(none.stderr()).toMatch(
      /--replay never: no recorded session never in .*orrery serve --record never/,
    );
    const both = startOrreryProcess(
      dir.path,
      ['serve', '--port', '0', '--gateway-db', db, '--config', config, '--record', 'a', '--replay', 'b'],
      {},
    );
    expect(await both.exited).not.toBe(0);
    expect(both.stderr()).toMatch(/--record and --replay exclude each other/);
  }, 120_000);
});
