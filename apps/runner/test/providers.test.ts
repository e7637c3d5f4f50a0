import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import type { CliIO } from '../src/commands/io.ts';

let server: LlmServer;
let dir: { path: string; remove(): void };
let deadPort: number;

beforeEach(async () => {
  // What `ollama list` would show, and what the OpenAI-compatible `/models` and Anthropic `/v1/models` list.
  server = await startLlmServer({ models: ['llama-a:latest', 'qwen:7b', 'gpt-test', 'claude-x'] });
  dir = tempDir('orrery-providers-');
  deadPort = await freePort();
});
afterEach(async () => {
  await server.close();
  dir.remove();
});

function config(reviewModel: string, ollamaUrl = 'http://127.0.0.1:9/v1'): string {
  const file = join(dir.path, 'orrery.yaml');
  writeFileSync(
    file,
    `
gateway:
  providers:
    ollama: { kind: openai, baseUrl: "${ollamaUrl}", local: true }
    openai: { kind: openai, baseUrl: "http://127.0.0.1:9/v1", apiKey: sk-test-key }
    claude: { kind: anthropic, baseUrl: "${server.url}", apiKey: sk-ant-test }
    spare: { kind: openai, baseUrl: "http://127.0.0.1:${deadPort}/v1" }
  routing:
    default: { prefer: [{ provider: openai, model: gpt-test }] }
    rules:
      quick: { prefer: [{ provider: ollama, model: llama-a }, { provider: openai, model: gpt-test }] }
      review: { prefer: [{ provider: ollama, model: ${reviewModel} }, { provider: openai, model: gpt-test }] }
      heavy: { prefer: [{ provider: claude, model: claude-x }] }
`,
  );
  return file;
}

async function providers(file: string, env: Record<string, string>, ...args: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIO = {
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    env,
    cwd: dir.path,
    isTTY: false,
    signal: new AbortController().signal,
  };
  const code = await main(['node', 'orrery', 'providers', '-c', file, '--timeout', '5000', ...args], io);
  return { code, out: stdout.join('\n'), err: stderr.join('\n') };
}

const envFor = (s: LlmServer) => ({ OLLAMA_BASE_URL: s.url, OPENAI_BASE_URL: `${s.url}/v1` });

describe('orrery providers', () => {
  it('lists each provider, Ollama’s installed models, and every task chain; exits 0 when all routed models exist', async () => {
    const res = await providers(config('qwen:7b'), envFor(server));
    expect(res.err).toBe('');
    expect(res.code).toBe(0);
    expect(res.out).toMatch(
      /^ollama\s+ok \(\d+ ms\) · ollama · .* · installed: llama-a:latest, qwen:7b, gpt-test, claude-x$/m,
    );
    expect(res.out).toMatch(/^openai\s+ok .* · openai · .*\/v1 · 4 models listed$/m);
    expect(res.out).toMatch(/^claude\s+ok .* · anthropic/m);
    expect(res.out).toMatch(
      /^spare\s+not answering .* · not routed to\n\s+✗ spare: not answering at http:\/\/127\.0\.0\.1:\d+\/v1/m,
    );
    expect(res.out).toMatch(/^\s+review\s+ollama\/qwen:7b → openai\/gpt-test$/m);
    expect(res.out).toMatch(/^\s+heavy\s+claude\/claude-x$/m);
    // Model listings are not chat calls.
    expect(server.requests).toHaveLength(0);
  });

  it('names the fix for a routed model missing from Ollama, and exits non-zero', async () => {
    const res = await providers(config('coder:13b'), envFor(server));
    expect(res.code).toBe(1);
    expect(res.err).toBe('error: ollama: model coder:13b is not installed — run `ollama pull coder:13b`');
    expect(res.out).toMatch(/review\s+ollama\/coder:13b ✗ → openai\/gpt-test/);
  });

  it('--json gives every provider’s status and the chains', async () => {
    const res = await providers(config('coder:13b'), envFor(server), '--json');
    expect(res.code).toBe(1);
    const json = JSON.parse(res.out) as {
      ok: boolean;
      providers: {
        name: string;
        server: string;
        ok: boolean;
        used: boolean;
        models?: string[];
        missing: string[];
      }[];
      routes: { task: string; chain: { provider: string; model: string; available: boolean }[] }[];
    };
    expect(json.ok).toBe(false);
    const ollama = json.providers.find((p) => p.name === 'ollama');
    expect(ollama).toMatchObject({ server: 'ollama', ok: true, used: true, missing: ['coder:13b'] });
    expect(ollama?.models).toContain('llama-a:latest');
    expect(json.providers.find((p) => p.name === 'spare')).toMatchObject({ ok: false, used: false });
    expect(json.routes.find((r) => r.task === 'quick')?.chain).toEqual([
      { provider: 'ollama', model: 'llama-a', available: true },
      { provider: 'openai', model: 'gpt-test', available: true },
    ]);
  });

  it('reports a routed provider that does not answer, with the fix', async () => {
    const res = await providers(config('qwen:7b', `http://127.0.0.1:${deadPort}/v1`), {
      OPENAI_BASE_URL: `${server.url}/v1`,
    });
    expect(res.code).toBe(1);
    expect(res.err).toMatch(
      /^error: ollama: not answering at http:\/\/127\.0\.0\.1:\d+\/v1 \(.+\) — start the server or fix providers\.ollama\.baseUrl$/m,
    );
  });

  it('says a key is missing (apiKey: { env } unset) instead of reporting a DNS failure', async () => {
    const file = join(dir.path, 'keyed.yaml');
    writeFileSync(
      file,
      `
gateway:
  providers:
    groq: { kind: openai, baseUrl: "https://no-such-host.invalid/openai/v1", apiKey: { env: GROQ_API_KEY } }
  prices:
    groq/llama-3.3-70b: { inputPer1k: 0.0006, outputPer1k: 0.0008 }
  routing:
    default: { prefer: [{ provider: groq, model: llama-3.3-70b }] }
`,
    );
    const res = await providers(file, {});
    expect(res.code).toBe(1);
    expect(res.err).toBe(
      'error: groq: no API key ($GROQ_API_KEY is not set — export it); not probed further',
    );
    expect(res.out).toMatch(/^groq\s+no API key · openai/m);
    expect(res.out).not.toMatch(/ENOTFOUND|getaddrinfo/);
  });
});
