/**
 * `pnpm bench serve`: the gateway as a drop-in OpenAI endpoint. The same chat completions request, in the
 * same run, against the same loopback provider that answers at once (its own process), at concurrency
 * 1, 10 and 50:
 *
 * - **direct**: straight to the provider (the floor: what any gateway adds is measured against it);
 * - **orrery /v1**: `POST /v1/chat/completions` on `orrery serve` with a virtual key (key lookup, its
 *   budget chain, the rolling budget, cooldowns, the ledger in a SQLite file — everything on);
 * - **orrery /execute**: the same call through Orrery's own route, anonymous;
 * - **portkey**: `@portkey-ai/gateway` (its open-source Node build, `--headless`), custom host = the
 *   provider.
 *
 * Each server runs in its own process; the figures are requests/s, p50/p99 latency and the server's CPU
 * per request (user + system time of that process from /proc, over the run). Targets at concurrency 50:
 * orrery /v1 ≥ 5× portkey's throughput and ≥ 0.4× the direct call's.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@orrery/testkit';
import { Pool } from 'undici';
import { orreryArgv, SOURCE_NODE_FLAGS } from '../test/support/source-node.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PORTKEY = join(ROOT, 'node_modules/@portkey-ai/gateway/build/start-server.js');
/** `ORRERY_BENCH_CONCURRENCY=50`: only these levels (default 1, 10 and 50). */
const CONCURRENCY = (process.env.ORRERY_BENCH_CONCURRENCY?.split(',').map(Number) ?? [1, 10, 50]).filter(
  (c) => Number.isInteger(c) && c > 0,
);
const REQUESTS: Record<number, number> = { 1: 1_500, 10: 4_000, 50: 5_000 };
const WARMUP = 500;
const PROMPT = 'BTC-USD fell 2.1% in the last hour; RSI 28. One-line risk view?';
const CHAT = (model: string) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: PROMPT }], max_tokens: 64 });
const EXECUTE = JSON.stringify({
  task: 'chat',
  messages: [{ role: 'user', content: PROMPT }],
  maxTokens: 64,
});
/** `ORRERY_BENCH_ONLY=direct,orrery /v1`: measure only these targets (names as printed). */
const ONLY = process.env.ORRERY_BENCH_ONLY?.split(',').map((s) => s.trim());
/** `ORRERY_BENCH_PROFILE=DIR`: `orrery serve` writes a V8 CPU profile of the whole run into DIR on exit. */
const PROFILE_DIR = process.env.ORRERY_BENCH_PROFILE;
const TICK_MS = 1000 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

/** A process's user + system CPU time so far, ms (Linux /proc). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a child and resolves once a stdout line matches `ready`. */
async function start(
  args: string[],
  ready: RegExp,
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ child: ChildProcess; match: RegExpExecArray; stop(): Promise<void> }> {
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise((r) => child.once('exit', r));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = ready.exec(out);
      if (m !== null) resolve(m);
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited (${code}): ${out}\n${err}`)));
  });
  return {
    child,
    match,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

interface Target {
  name: string;
  url: string;
  path: string;
  body: string;
  headers: Record<string, string>;
  pid: number;
}

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  cpuPerReqMs: number;
}

async function load(t: Target, inFlight: number, count: number): Promise<Figures> {
  const pool = new Pool(t.url, { connections: inFlight, keepAliveTimeout: 30_000, pipelining: 1 });
  const call = async () => {
    const res = await pool.request({
      method: 'POST',
      path: t.path,
      headers: { 'content-type': 'application/json', ...t.headers },
      body: t.body,
    });
    if (res.statusCode !== 200)
      throw new Error(`${t.name} answered ${res.statusCode}: ${await res.body.text()}`);
    await res.body.dump();
  };
  const run = async (n: number) => {
    const latencies: number[] = [];
    let next = 0;
    const cpu0 = cpuMs(t.pid);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < n) {
          next += 1;
          const s = performance.now();
          await call();
          latencies.push(performance.now() - s);
        }
      }),
    );
    const wallMs = performance.now() - t0;
    const cpu = cpuMs(t.pid) - cpu0;
    latencies.sort((a, b) => a - b);
    return {
      rps: (n / wallMs) * 1000,
      p50: pct(latencies, 50),
      p99: pct(latencies, 99),
      cpuPerReqMs: cpu / n,
    };
  };
  try {
    await run(Math.min(WARMUP, count));
    return await run(count);
  } finally {
    await pool.close();
  }
}

const LLM_SCRIPT = `
import { startLlmServer } from '@orrery/testkit';
const s = await startLlmServer({ respond: () => ({ text: 'risk is elevated; hold', usage: { input: 30, output: 6 } }) });
console.log('llm ' + s.url);
process.on('SIGTERM', async () => { await s.close(); process.exit(0); });
`;

export default async function run(): Promise<void> {
  const dir = tempDir('orrery-bench-serve-');
  const stops: (() => Promise<void>)[] = [];
  try {
    const llm = await start(
      [...SOURCE_NODE_FLAGS, '--input-type=module', '-e', LLM_SCRIPT],
      /llm (http:\/\/\S+)/,
    );
    stops.push(llm.stop);
    const llmUrl = llm.match[1] as string;
    const config = join(dir.path, 'orrery.yaml');
    const gateway = {
      providers: { openai: { kind: 'openai', baseUrl: `${llmUrl}/v1`, apiKey: 'sk-bench-provider-key' } },
      routing: { default: { prefer: [{ provider: 'openai', model: 'bench' }] } },
      budget: { maxCallsPerHour: 100_000_000, maxTokensPerHour: 1e13, reserveCalls: 0, reserveTokens: 0 },
    };
    writeFileSync(config, JSON.stringify({ gateway, memory: false })); // JSON is YAML
    const db = join(dir.path, 'gateway.db');
    const created = spawnSync(
      process.execPath,
      orreryArgv([
        'keys',
        'create',
        '--name',
        'bench',
        '--max-tokens',
        '1000000000000',
        '--config',
        config,
        '--gateway-db',
        db,
      ]),
      { cwd: dir.path, encoding: 'utf8' },
    );
    if (created.status !== 0) throw new Error(`keys create failed: ${created.stderr}`);
    const key = created.stdout.trim();
    const orrery = await start(
      [
        ...(PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`]),
        ...orreryArgv([
          'serve',
          '--port',
          '0',
          '--config',
          config,
          '--gateway-db',
          db,
          '--log-level',
          'warn',
          '--max-concurrent',
          '1024',
        ]),
      ],
      /listening on (http:\/\/\S+)/,
      { cwd: dir.path },
    );
    stops.push(orrery.stop);
    const orreryUrl = orrery.match[1] as string;

    const targets: Target[] = [
      {
        name: 'direct',
        url: llmUrl,
        path: '/v1/chat/completions',
        body: CHAT('bench'),
        headers: { authorization: 'Bearer sk-bench-provider-key' },
        pid: llm.child.pid as number,
      },
      {
        name: 'orrery /v1',
        url: orreryUrl,
        path: '/v1/chat/completions',
        body: CHAT('orrery/chat'),
        headers: { authorization: `Bearer ${key}` },
        pid: orrery.child.pid as number,
      },
      {
        name: 'orrery /execute',
        url: orreryUrl,
        path: '/execute',
        body: EXECUTE,
        headers: {},
        pid: orrery.child.pid as number,
      },
    ];
    if (existsSync(PORTKEY)) {
      const port = await freePort();
      const portkey = await start(
        [PORTKEY, `--port=${port}`, '--headless'],
        /Ready for connections|running at/i,
        {
          env: { NODE_ENV: 'production' },
        },
      );
      stops.push(portkey.stop);
      targets.push({
        name: 'portkey',
        url: `http://127.0.0.1:${port}`,
        path: '/v1/chat/completions',
        body: CHAT('bench'),
        headers: {
          authorization: 'Bearer sk-bench-provider-key',
          'x-portkey-provider': 'openai',
          'x-portkey-custom-host': `${llmUrl}/v1`,
        },
        pid: portkey.child.pid as number,
      });
    } else {
      console.log('portkey: @portkey-ai/gateway is not installed; compared against direct and /execute only');
    }

    const f = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(0));
    const results = new Map<string, Figures>();
    for (const c of CONCURRENCY) {
      for (const t of targets) {
        if (ONLY !== undefined && !ONLY.includes(t.name)) continue;
        const r = await load(t, c, REQUESTS[c] ?? 2_000);
        results.set(`${t.name}@${c}`, r);
        console.log(
          `c=${String(c).padStart(2)}  ${t.name.padEnd(16)} ${f(r.rps).padStart(6)} req/s  p50 ${f(r.p50)} ms  p99 ${f(r.p99)} ms  server CPU ${r.cpuPerReqMs.toFixed(3)} ms/req`,
        );
      }
    }
    const v1 = results.get('orrery /v1@50');
    const direct = results.get('direct@50');
    const pk = results.get('portkey@50');
    const exec = results.get('orrery /execute@50');
    if (v1 !== undefined && direct !== undefined) {
      console.log(
        `ratio at c=50: orrery /v1 / direct = ${(v1.rps / direct.rps).toFixed(2)}× (target ≥ 0.4×)` +
          (exec === undefined ? '' : `; /execute / direct = ${(exec.rps / direct.rps).toFixed(2)}×`) +
          (pk === undefined ? '' : `; orrery /v1 / portkey = ${(v1.rps / pk.rps).toFixed(2)}× (target ≥ 5×)`),
      );
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
    dir.remove();
  }
}
