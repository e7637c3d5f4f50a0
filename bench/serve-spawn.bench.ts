/**
 * `pnpm bench serve-spawn`.
 * `orrery serve`: throughput (req/s) and latency (p50/p99) of `POST /execute` on one persistent server,
 * against the same work done by spawning one Node process per call (load the TypeScript packages through
 * tsx, build a gateway, make the one call, exit) — what a caller without a server does. Both hit the same
 * loopback LLM server, which answers at once, so the figures measure Orrery's own cost. Target: ≥ 100×
 * the throughput.
 *
 * The server is the real command (`orrery serve --log-level warn`, its own process); the load generator is
 * undici (a keep-alive pool, 32 requests in flight); the spawned baseline runs as many processes at once as
 * there are cores.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { GatewayConfigInput } from '@orrery/core';
import { startLlmServer, tempDir } from '@orrery/testkit';
import { Pool } from 'undici';
import { orreryArgv, SOURCE_NODE_FLAGS } from '../test/support/source-node.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IN_FLIGHT = 32;
const WARMUP = 300;
const REQUESTS = 5_000;
const BODY = JSON.stringify({
  task: 'summarise_news',
  messages: [{ role: 'user', content: 'BTC-USD fell 2.1% in the last hour; RSI 28. One-line risk view?' }],
  maxTokens: 64,
});

function config(llmUrl: string): GatewayConfigInput {
  return {
    providers: { openai: { kind: 'openai', baseUrl: `${llmUrl}/v1`, apiKey: 'sk-bench' } },
    routing: { default: { prefer: [{ provider: 'openai', model: 'bench' }] } },
    budget: { maxCallsPerHour: 10_000_000, maxTokensPerHour: 1e12, reserveCalls: 0, reserveTokens: 0 },
  };
}

/** What one spawned process does: the same request through its own, fresh gateway. */
const ONE_SHOT = `
import { createGateway } from '@orrery/core';
const g = createGateway(JSON.parse(process.env.BENCH_CONFIG));
const res = await g.execute(JSON.parse(process.env.BENCH_BODY));
await g.close();
if (!res.success) process.exit(2);
`;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Runs `count` calls of `call`, `inFlight` at a time; per-call latencies (ms) and the wall time. */
async function load(count: number, inFlight: number, call: () => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) {
        next += 1;
        const s = performance.now();
        await call();
        latencies.push(performance.now() - s);
      }
    }),
  );
  const wallMs = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return { rps: (count / wallMs) * 1000, p50: pct(latencies, 50), p99: pct(latencies, 99) };
}

function spawnOnce(env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...SOURCE_NODE_FLAGS, '--input-type=module', '-e', ONE_SHOT], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`one-shot exited ${code}`))));
  });
}

/** Starts `orrery serve` on a free port with `gateway` as its configuration; resolves with its URL. */
async function startServeProcess(gateway: GatewayConfigInput, dir: string) {
  const file = join(dir, 'orrery.yaml');
  writeFileSync(file, JSON.stringify({ gateway, memory: false })); // JSON is YAML
  const child = spawn(
    process.execPath,
    orreryArgv([
      'serve',
      '--port',
      '0',
      '--config',
      file,
      '--gateway-db',
      ':memory:',
      '--log-level',
      'warn',
      '--max-concurrent',
      '1024',
    ]),
    { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`orrery serve exited (${code}): ${out}`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export default async function run(): Promise<void> {
  const llm = await startLlmServer({
    respond: () => ({ text: 'risk is elevated; hold', usage: { input: 30, output: 6 } }),
  });
  const dir = tempDir('orrery-bench-serve-');
  const server = await startServeProcess(config(llm.url), dir.path);
  const pool = new Pool(server.url, { connections: IN_FLIGHT, keepAliveTimeout: 30_000 });
  try {
    const viaServe = async () => {
      const res = await pool.request({
        method: 'POST',
        path: '/execute',
        headers: { 'content-type': 'application/json' },
        body: BODY,
      });
      if (res.statusCode !== 200)
        throw new Error(`serve answered ${res.statusCode}: ${await res.body.text()}`);
      await res.body.dump();
    };
    await load(WARMUP, IN_FLIGHT, viaServe);
    const serve = await load(REQUESTS, IN_FLIGHT, viaServe);

    const cores = availableParallelism();
    const env = { BENCH_CONFIG: JSON.stringify(config(llm.url)), BENCH_BODY: BODY };
    await spawnOnce(env); // warm the disk cache and tsx's compile cache
    const spawned = await load(cores * 3, cores, () => spawnOnce(env));

    const f = (n: number) => n.toFixed(n < 10 ? 2 : 0);
    console.log(
      `orrery serve  POST /execute: ${f(serve.rps)} req/s, p50 ${f(serve.p50)} ms, p99 ${f(serve.p99)} ms (${REQUESTS} requests, ${IN_FLIGHT} in flight)`,
    );
    console.log(
      `process/call  baseline:      ${f(spawned.rps)} req/s, p50 ${f(spawned.p50)} ms, p99 ${f(spawned.p99)} ms (${cores * 3} processes, ${cores} at once)`,
    );
    console.log(
      `ratio: throughput ${f(serve.rps / spawned.rps)}× (target ≥ 100×), p99 latency ${f(spawned.p99 / serve.p99)}× lower`,
    );
  } finally {
    await pool.close();
    await server.stop();
    await llm.close();
    dir.remove();
  }
}
