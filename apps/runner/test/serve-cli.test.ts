import { type AddressInfo, createServer } from 'node:net';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheus } from './support/prometheus-parse.ts';
import { executeBody, SECRET_KEY, SERVE_MODELS } from './support/serve-harness.ts';
import { startOrreryProcess, writeServeConfig } from './support/serve-process.ts';

let server: LlmServer;
let dir: { path: string; remove(): void };
let config: string;
beforeAll(async () => {
  server = await startLlmServer();
  dir = tempDir('orrery-serve-cli-');
  config = writeServeConfig(dir.path, server);
});
afterAll(async () => {
  await server.close();
  dir.remove();
});

const base = ['serve', '--port', '0', '--gateway-db', ':memory:'];

describe('orrery serve (the command)', () => {
  it('serves until SIGTERM, then stops cleanly; the provider key is never printed', async () => {
    const p = startOrreryProcess(dir.path, [...base, '--config', config], { OPENAI_API_KEY: SECRET_KEY });
    try {
      const m = await p.line(/listening on (http:\/\/\S+) \(no token: loopback only\)/);
      const url = m[1] as string;
      server.script(SERVE_MODELS.execute, [
        { status: 401, message: `bad key ${SECRET_KEY}` },
        { text: 'hello' },
      ]);
      const failed = await request(`${url}/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(executeBody()),
      });
      const failedBody = await failed.body.text();
      expect(failed.statusCode).toBe(502);
      const ok = await request(`${url}/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(executeBody()),
      });
      expect(ok.statusCode).toBe(200);
      expect(await ok.body.json()).toMatchObject({ success: true, text: 'hello' });
      const metrics = await request(`${url}/metrics`);
      const text = await metrics.body.text();
      expect(
        parsePrometheus(text).find((s) => s.name === 'orrery_llm_calls_total' && s.labels.outcome === 'ok')
          ?.value,
      ).toBe(1);
      expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);

      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.stderr()).toMatch(/"msg":"request completed"/);
      for (const out of [p.stdout(), p.stderr(), failedBody, text]) expect(out).not.toContain(SECRET_KEY);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('refuses to listen on a non-loopback address without a token', async () => {
    const p = startOrreryProcess(dir.path, [...base, '--host', '0.0.0.0', '--config', config], {});
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(
      /^error: refusing to listen on 0\.0\.0\.0 without a bearer token.*ORRERY_TOKEN/m,
    );
  });

  it('listens on a non-loopback address with a token, and requires it', async () => {
    const token = 'cli-test-token-0123456789abcdef';
    const p = startOrreryProcess(dir.path, [...base, '--host', '0.0.0.0', '--config', config], {
      ORRERY_TOKEN: token,
    });
    try {
      const m = await p.line(/listening on http:\/\/0\.0\.0\.0:(\d+) \(bearer token from ORRERY_TOKEN\)/);
      const url = `http://127.0.0.1:${m[1]}`;
      const denied = await request(`${url}/metrics`);
      expect(denied.statusCode).toBe(401);
      await denied.body.dump();
      const allowed = await request(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(allowed.statusCode).toBe(200);
      await allowed.body.dump();
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.stdout() + p.stderr()).not.toContain(token);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('a --token-env naming an unset variable is an error', async () => {
    const p = startOrreryProcess(
      dir.path,
      [...base, '--token-env', 'NOT_SET_ANYWHERE', '--config', config],
      {},
    );
    expect(await p.exited).toBe(1);
    expect(p.stderr()).toMatch(/NOT_SET_ANYWHERE is not set/);
  });

  it('a port in use is a clear error', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const p = startOrreryProcess(
        dir.path,
        ['serve', '--port', String(port), '--gateway-db', ':memory:', '--config', config],
        {},
      );
      expect(await p.exited).toBe(1);
      expect(p.stderr()).toMatch(
        new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`, 'm'),
      );
    } finally {
      blocker.close();
    }
  });
});
