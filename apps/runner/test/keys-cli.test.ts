import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import { SECRET_KEY, SERVE_MODELS } from './support/serve-harness.ts';
import { startOrreryProcess, writeServeConfig } from './support/serve-process.ts';

let server: LlmServer;
let dir: { path: string; remove(): void };
let config: string;
let db: string;
beforeAll(async () => {
  server = await startLlmServer();
  dir = tempDir('orrery-keys-cli-');
  config = writeServeConfig(dir.path, server);
  db = join(dir.path, 'gateway.db');
});
afterAll(async () => {
  await server.close();
  dir.remove();
});

/** Runs `orrery …` in-process; resolves to its exit code and output. */
async function orrery(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'orrery', ...args], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: {},
    cwd: dir.path,
    isTTY: false,
    signal: new AbortController().signal,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('orrery keys', () => {
  it('create prints the key once, stores only its hash; list shows limits and usage; revoke refuses it', async () => {
    const created = await orrery([
      'keys',
      'create',
      '--name',
      'research',
      '--max-tokens',
      '5000',
      '--max-calls',
      '10',
      '--max-usd',
      '0.5',
      '--tasks',
      'chat,summarise_news',
      '--config',
      config,
      '--gateway-db',
      db,
    ]);
    expect(created.code).toBe(0);
    const key = created.out.trim();
    expect(key).toMatch(/^sk-orrery-[A-Za-z0-9_-]{43}$/);
    expect(readFileSync(db).includes(Buffer.from(key))).toBe(false);

    const list = await orrery(['keys', 'list', '--config', config, '--gateway-db', db]);
    expect(list.out).toMatch(/^research {2}key_[0-9a-f]{16} {2}sk-orrery-.{4}… {2}active$/m);
    expect(list.out).toContain('tokens 0 / 5000, calls 0 / 10, USD 0.000000 / 0.5');
    expect(list.out).toContain('tasks chat, summarise_news');
    expect(list.out).not.toContain(key);

    const dup = await orrery([
      'keys',
      'create',
      '--name',
      'research',
      '--config',
      config,
      '--gateway-db',
      db,
    ]);
    expect(dup.code).toBe(1);
    expect(dup.err).toMatch(/--name research: an active key already has this name/);

    const bad = await orrery(['keys', 'create', '--name', 'x y', '--config', config, '--gateway-db', db]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--name "x y": must be 1-64 characters/);

    expect(
      (await orrery(['keys', 'revoke', 'research', '--config', config, '--gateway-db', db])).out,
    ).toMatch(/^revoked research \(key_/);
    const none = await orrery(['keys', 'revoke', 'research', '--config', config, '--gateway-db', db]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/no active key named "research"/);
    const all = await orrery(['keys', 'list', '--all', '--json', '--config', config, '--gateway-db', db]);
    expect(JSON.parse(all.out)).toEqual([
      expect.objectContaining({ name: 'research', revokedMs: expect.any(Number) }),
    ]);
  });

  it('a key made by the command works against a running `orrery serve` until another process revokes it', async () => {
    const created = await orrery([
      'keys',
      'create',
      '--name',
      'bot',
      '--max-calls',
      '5',
      '--config',
      config,
      '--gateway-db',
      db,
    ]);
    const key = created.out.trim();
    const p = startOrreryProcess(
      dir.path,
      ['serve', '--port', '0', '--config', config, '--gateway-db', db, '--require-key'],
      { OPENAI_API_KEY: SECRET_KEY },
    );
    try {
      const url = (await p.line(/listening on (http:\/\/\S+)/))[1] as string;
      const client = new OpenAI({ apiKey: key, baseURL: `${url}/v1` });
      server.script(SERVE_MODELS.execute, [{ text: 'pong', usage: { input: 4, output: 1 } }]);
      const res = await client.chat.completions.create({
        model: 'orrery/chat',
        messages: [{ role: 'user', content: 'ping' }],
      });
      expect(res.choices[0]?.message.content).toBe('pong');
      // --require-key: no key, no answer.
      const anon = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'orrery/chat', messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(anon.status).toBe(401);

      expect((await orrery(['keys', 'revoke', 'bot', '--config', config, '--gateway-db', db])).code).toBe(0);
      const after = await client.chat.completions
        .create({ model: 'orrery/chat', messages: [{ role: 'user', content: 'again' }] })
        .catch((e: unknown) => e);
      expect(after).toBeInstanceOf(OpenAI.AuthenticationError);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      const list = await orrery(['keys', 'list', '--all', '--json', '--config', config, '--gateway-db', db]);
      expect(JSON.parse(list.out).find((r: { name: string }) => r.name === 'bot')).toMatchObject({
        usedTokens: 5,
        usedCalls: 1,
      });
      for (const out of [p.stdout(), p.stderr()]) {
        expect(out).not.toContain(key);
        expect(out).not.toContain(SECRET_KEY);
      }
    } finally {
      p.child.kill('SIGKILL');
    }
  });
});
