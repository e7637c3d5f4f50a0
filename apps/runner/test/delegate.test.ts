import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { type LlmRecordedRequest, type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { orreryArgv } from '../../../test/support/source-node.ts';
import { main } from '../src/cli.ts';
import { registerDelegateCommand } from '../src/commands/delegate.ts';
import type { CliIO } from '../src/commands/io.ts';

/**
 * A config whose providers sit at placeholder URLs: the environment (`OLLAMA_BASE_URL`, `OPENAI_BASE_URL`)
 * points them at the loopback server, as a user's shell would.
 */
const CONFIG = `
gateway:
  providers:
    ollama: { kind: openai, baseUrl: "http://127.0.0.1:9/v1", local: true, timeoutMs: 10000 }
    openai: { kind: openai, baseUrl: "http://127.0.0.1:9/v1", apiKey: sk-test-key, timeoutMs: 10000 }
  prices:
    openai/gpt-test: { inputPer1k: 0.001, outputPer1k: 0.002 }
  cooldown: { baseMs: 60000, maxMs: 600000 }
  routing:
    default: { prefer: [{ provider: openai, model: gpt-test }] }
    rules:
      quick: { prefer: [{ provider: ollama, model: llama-a }, { provider: openai, model: gpt-test }] }
      review: { prefer: [{ provider: ollama, model: coder }, { provider: openai, model: gpt-test }] }
      heavy: { prefer: [{ provider: openai, model: broken }] }
delegation:
  logFile: logs/delegations.jsonl
  tasks:
    review: { timeoutMs: 1500 }
run:
  gatewayDbPath: state/gateway.db
`;

let server: LlmServer;
let dir: { path: string; remove(): void };
let configFile: string;
let env: Record<string, string>;

beforeEach(async () => {
  server = await startLlmServer();
  dir = tempDir('orrery-delegate-');
  configFile = join(dir.path, 'orrery.yaml');
  writeFileSync(configFile, CONFIG);
  env = { OLLAMA_BASE_URL: server.url, OPENAI_BASE_URL: `${server.url}/v1` };
});
afterEach(async () => {
  await server.close();
  dir.remove();
});

function captureIO(extra: Partial<CliIO> = {}): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    env,
    cwd: dir.path,
    isTTY: false,
    signal: new AbortController().signal,
    stdout,
    stderr,
    ...extra,
  };
}

async function orrery(...args: string[]) {
  const io = captureIO();
  const code = await main(['node', 'orrery', ...args, '-c', configFile], io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

function userText(r: LlmRecordedRequest): string {
  const messages = (r.body as { messages: { role: string; content: string }[] }).messages;
  return messages.at(-1)?.content ?? '';
}

/** Spawns the real `orrery` command with `input` piped on stdin. */
function spawnOrrery(
  args: string[],
  input: string,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, orreryArgv(args), {
      cwd: dir.path,
      env: { ...process.env, ...env, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
    child.stdin.end(input);
  });
}

describe('orrery delegate', () => {
  it('routes each task type to its model and prints the answer', async () => {
    const q = await orrery('delegate', 'what', 'is', '2+2?', '--task', 'quick');
    expect(q).toMatchObject({ code: 0, out: 'echo: what is 2+2?', err: '' });
    const r = await orrery('delegate', 'check this', '--task', 'review');
    expect(r).toMatchObject({ code: 0, out: 'echo: check this' });
    expect(server.requests.map((x) => x.model)).toEqual(['llama-a', 'coder']);
    const body = server.requestsFor('coder')[0]?.body as { messages: { role: string }[] } | undefined;
    expect(body?.messages[0]?.role).toBe('system');
  });

  it('falls back on 429, then skips the cooling model in the next process (state in the SQLite file)', async () => {
    server.script('llama-a', [{ status: 429, retryAfter: 120 }]);
    const first = await orrery('delegate', 'one');
    expect(first.code).toBe(0);
    expect(first.out).toBe('echo: one');
    expect(first.err).toMatch(
      /answered by openai\/gpt-test after ollama\/llama-a \(ORRERY_LLM_RATE_LIMITED\)/,
    );
    const second = await orrery('delegate', 'two', '--json');
    expect(second.code).toBe(0);
    const json = JSON.parse(second.out) as {
      attempts: { model: string; called: boolean; error?: { code: string } }[];
    };
    expect(json.attempts.map((a) => [a.model, a.called, a.error?.code])).toEqual([
      ['llama-a', false, 'ORRERY_LLM_COOLING_DOWN'],
      ['gpt-test', true, undefined],
    ]);
    expect(server.requestsFor('llama-a')).toHaveLength(1);
    expect(server.requestsFor('gpt-test')).toHaveLength(2);
  });

  it('falls back on a timeout and on a 5xx, calling each model once', async () => {
    server.script('coder', [{ delayMs: 30_000, text: 'late' }]);
    const slow = await orrery('delegate', 'diff', '--task', 'review', '--json');
    expect(slow.code).toBe(0);
    const a = JSON.parse(slow.out) as { model: string; attempts: { error?: { code: string } }[] };
    expect(a.model).toBe('gpt-test');
    expect(a.attempts[0]?.error?.code).toBe('ORRERY_LLM_TIMEOUT');
    // The timeout opened coder's circuit breaker (in the shared gateway file): the next run skips it.
    const skipped = await orrery('delegate', 'diff', '--task', 'review', '--json');
    const b = JSON.parse(skipped.out) as {
      model: string;
      attempts: { called: boolean; error?: { code: string } }[];
    };
    expect(b.attempts[0]).toMatchObject({ called: false, error: { code: 'ORRERY_LLM_COOLING_DOWN' } });
    expect(b.model).toBe('gpt-test');
    expect(server.requestsFor('coder')).toHaveLength(1);
    // Once cleared, a 5xx falls back too.
    expect((await orrery('cooldowns', '--clear', 'ollama/coder')).out).toMatch(/cleared ollama\/coder/);
    server.script('coder', [{ status: 503 }]);
    const down = await orrery('delegate', 'diff', '--task', 'review', '--json');
    const c = JSON.parse(down.out) as { model: string; attempts: { error?: { code: string } }[] };
    expect(c.attempts[0]?.error?.code).toBe('ORRERY_LLM_PROVIDER');
    expect(c.model).toBe('gpt-test');
    expect(server.requestsFor('coder')).toHaveLength(2);
    expect(server.requestsFor('gpt-test')).toHaveLength(3);
  });

  it('--json prints the whole result; a failed delegation exits non-zero with success false', async () => {
    server.script('llama-a', [{ text: 'four', usage: { input: 20, output: 8 } }]);
    const ok = await orrery('delegate', 'what is 2+2?', '--json');
    expect(ok.code).toBe(0);
    const res = JSON.parse(ok.out) as Record<string, unknown>;
    expect(Object.keys(res)).toEqual(
      expect.arrayContaining([
        'text',
        'model',
        'provider',
        'latencyMs',
        'tokensIn',
        'tokensOut',
        'tokensPerSec',
        'success',
        'costUsd',
        'task',
        'attempts',
      ]),
    );
    expect(res).toMatchObject({
      text: 'four',
      provider: 'ollama',
      tokensIn: 20,
      tokensOut: 8,
      success: true,
    });
    expect(res.tokensPerSec as number).toBeGreaterThan(0);
    expect(res.error).toBeUndefined();

    server.script('broken', [{ status: 500, message: 'boom' }]);
    const bad = await orrery('delegate', 'hard one', '--task', 'heavy', '--json');
    expect(bad.code).toBe(1);
    const failed = JSON.parse(bad.out) as { success: boolean; error: { code: string; message: string } };
    expect(failed.success).toBe(false);
    expect(failed.error.code).toBe('ORRERY_LLM_PROVIDER');
    expect(bad.err).toMatch(/^error: ORRERY_LLM_PROVIDER: /);
  });

  it('reads the prompt from stdin in the real command, and exits 1 when the delegation fails', async () => {
    const diff = 'diff --git a/x.ts b/x.ts\n+const answer = 42;\n';
    const ok = await spawnOrrery(['delegate', '--task', 'review', '--json', '-c', configFile], diff);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ success: true, model: 'coder', task: 'review' });
    expect(userText(server.requestsFor('coder')[0] as LlmRecordedRequest)).toBe(diff);

    server.script('broken', [{ status: 502 }]);
    const bad = await spawnOrrery(['delegate', '--task', 'heavy', '-c', configFile], 'anything');
    expect(bad.code).toBe(1);
    expect(bad.out).toBe('');
    expect(bad.err).toMatch(/error: ORRERY_LLM_PROVIDER/);
  });

  it('refuses an unknown task, or no prompt at all, before any call', async () => {
    const unknown = await orrery('delegate', 'x', '--task', 'poetry');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/unknown task "poetry" \(known: quick, coding, .*heavy/);
    const empty = await spawnOrrery(['delegate', '-c', configFile], '  \n');
    expect(empty.code).toBe(1);
    expect(empty.err).toMatch(/no prompt: stdin was empty/);
    expect(server.requests).toHaveLength(0);
  });

  it('--batch runs every prompt with at most N in flight (measured by the server) and prints JSONL in input order', async () => {
    const N = 3;
    const gated = 6; // prompts that reach the gate; the `heavy` one is scripted to fail at once
    let inflight = 0;
    let peak = 0;
    let answered = 0;
    const held: (() => void)[] = [];
    const releaseWhenFull = () => {
      if (held.length >= Math.min(N, gated - answered)) for (const go of held.splice(0)) go();
    };
    server.setDefault(async (rec) => {
      inflight += 1;
      peak = Math.max(peak, inflight);
      await new Promise<void>((go) => {
        held.push(go);
        releaseWhenFull();
      });
      inflight -= 1;
      answered += 1;
      return { text: `answer to ${userText(rec)}` };
    });
    server.script('broken', [{ status: 500 }]);
    const file = join(dir.path, 'prompts.txt');
    writeFileSync(
      file,
      [
        'first prompt',
        '',
        '{"prompt": "second\\nwith two lines", "id": "b"}',
        '{"prompt": "the hard one", "task": "heavy", "id": 3}',
        'fourth',
        '{"prompt": "fifth", "task": "review"}',
        'sixth',
        'seventh',
      ].join('\n'),
    );
    const res = await orrery('delegate', '--batch', file, '--concurrency', String(N));
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/1 of 7 delegations failed/);
    expect(peak).toBe(N);
    const lines = res.out.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.line, l.id, l.task, l.success])).toEqual([
      [1, undefined, 'quick', true],
      [3, 'b', 'quick', true],
      [4, 3, 'heavy', false],
      [5, undefined, 'quick', true],
      [6, undefined, 'review', true],
      [7, undefined, 'quick', true],
      [8, undefined, 'quick', true],
    ]);
    expect(lines[1]?.text).toBe('answer to second\nwith two lines');
    expect(lines[4]?.model).toBe('coder');
  });

  it('--batch names the bad line of a batch file', async () => {
    const file = join(dir.path, 'bad.jsonl');
    writeFileSync(file, '{"prompt": "ok"}\n{"promt": "typo"}\n');
    const res = await orrery('delegate', '--batch', file);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/bad\.jsonl line 2: .*expected \{"prompt"/);
    expect(server.requests).toHaveLength(0);
  });

  it('draws a progress bar only on a terminal', async () => {
    const file = join(dir.path, 'three.txt');
    writeFileSync(file, 'a\nb\nc\n');
    let drawn = '';
    const tty = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, done) {
          drawn += chunk.toString();
          done();
        },
      }),
      { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true },
    );
    for (const isTTY of [true, false]) {
      drawn = '';
      const io = captureIO({ isTTY });
      const program = new Command('orrery').exitOverride();
      registerDelegateCommand(program, io, { progress: tty });
      await program.parseAsync(['node', 'orrery', 'delegate', '--batch', file, '-c', configFile]);
      expect(io.stdout).toHaveLength(3);
      if (isTTY) expect(drawn).toMatch(/3\/3 delegations \| 0 failed/);
      else expect(drawn).toBe('');
    }
  });

  it('logs every delegation to delegation.logFile and to the ledger with its task', async () => {
    server.script('llama-a', [{ status: 500 }]);
    await orrery('delegate', 'logged prompt');
    await orrery('delegate', 'a review', '--task', 'review');
    const logFile = join(dir.path, 'logs', 'delegations.jsonl');
    expect(existsSync(logFile)).toBe(true);
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.task, l.model, l.success, l.promptChars])).toEqual([
      ['quick', 'gpt-test', true, 'logged prompt'.length],
      ['review', 'coder', true, 'a review'.length],
    ]);
    expect(JSON.stringify(lines)).not.toContain('logged prompt');
    const metrics = await orrery('metrics', '--json');
    const report = JSON.parse(metrics.out) as {
      total: { calls: number; callsFailed: number };
      byTask: { key: string; calls: number }[];
    };
    expect(report.total).toMatchObject({ calls: 3, callsFailed: 1 });
    expect(report.byTask.map((t) => [t.key, t.calls])).toEqual([
      ['quick', 2],
      ['review', 1],
    ]);
  });
});
