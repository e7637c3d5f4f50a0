/**
 * @orrery/core: latency of `gateway.execute` against a raw undici request carrying the same body to the
 * same loopback LLM server (OpenAI wire, no cache, no schema), p50 and p99, as a ratio (target ≤ 1.10).
 * The gateway does everything it does in production: routing, cooldown lookup, the rolling-budget
 * reservation in a SQLite transaction, settlement, the ledger row, metrics. Measured twice: with the default
 * in-memory database, and with a WAL file on disk. The two paths alternate call by call so that machine
 * load affects both alike.
 *
 * The server answers instantly and runs in this process, so the baseline is a few tens of microseconds: the
 * ratio is a worst case, and the overhead in microseconds is the figure to compare with real LLM latencies
 * (hundreds of milliseconds).
 */
import { performance } from 'node:perf_hooks';
import { createGateway, type Gateway } from '@orrery/core';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import { Pool } from 'undici';

const WARMUP = 500;
const SAMPLES = 5_000;
const MESSAGES = [
  { role: 'system' as const, content: 'You are the risk planet. Answer in one sentence.' },
  {
    role: 'user' as const,
    content: 'BTC-USD fell 2.1% in the last hour; RSI 28; position 0.3 BTC. Risk view?',
  },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function gatewayOn(server: LlmServer, dbPath: string): Gateway {
  return createGateway(
    {
      providers: { openai: { kind: 'openai', baseUrl: `${server.url}/v1` } },
      prices: { 'openai/bench': { inputPer1k: 0.00015, outputPer1k: 0.0006 } },
      routing: { default: { prefer: [{ provider: 'openai', model: 'bench' }] } },
      budget: {
        maxCallsPerHour: 10_000_000,
        maxTokensPerHour: 1_000_000_000_000,
        reserveCalls: 0,
        reserveTokens: 0,
      },
    },
    { dbPath },
  );
}

async function compare(label: string, server: LlmServer, gateway: Gateway): Promise<void> {
  const pool = new Pool(server.url, { connections: 64, keepAliveTimeout: 30_000, pipelining: 1 });
  const body = JSON.stringify({
    model: 'bench',
    messages: MESSAGES,
    max_tokens: 1024,
    temperature: 0.2,
    stream: false,
  });
  const raw = async (): Promise<string> => {
    const res = await pool.request({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body,
    });
    const json = (await res.body.json()) as { choices: { message: { content: string } }[] };
    return json.choices[0]?.message.content ?? '';
  };
  const viaGateway = async (): Promise<string> =>
    (await gateway.execute({ task: 'planet_analysis', messages: MESSAGES })).text;

  for (let i = 0; i < WARMUP; i++) {
    await raw();
    await viaGateway();
  }
  const rawSamples: number[] = [];
  const gwSamples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    // Alternate which goes first so neither always runs on a just-warmed socket.
    const order = i % 2 === 0 ? [raw, viaGateway] : [viaGateway, raw];
    for (const f of order) {
      const t0 = performance.now();
      await f();
      (f === raw ? rawSamples : gwSamples).push(performance.now() - t0);
    }
  }
  await pool.close();
  rawSamples.sort((a, b) => a - b);
  gwSamples.sort((a, b) => a - b);
  const r50 = percentile(rawSamples, 50);
  const r99 = percentile(rawSamples, 99);
  const g50 = percentile(gwSamples, 50);
  const g99 = percentile(gwSamples, 99);
  const ms = (x: number) => `${(x * 1000).toFixed(0)} µs`;
  console.log(`[${label}] raw undici       p50 ${ms(r50)}  p99 ${ms(r99)} (baseline)`);
  console.log(`[${label}] gateway.execute  p50 ${ms(g50)}  p99 ${ms(g99)}`);
  console.log(
    `[${label}] ratio gateway / raw: p50 ${(g50 / r50).toFixed(2)}×  p99 ${(g99 / r99).toFixed(2)}× (target ≤ 1.10×); ` +
      `overhead at p50 ${ms(g50 - r50)} per call`,
  );
}

export default async function run(): Promise<void> {
  const server = await startLlmServer({ respond: () => ({ text: 'Risk rising; tighten the stop to 2%.' }) });
  const dir = tempDir('orrery-bench-gateway-');
  try {
    const memory = gatewayOn(server, ':memory:');
    await compare(':memory: db', server, memory);
    const calls = memory.metrics().calls;
    await memory.close();
    const onDisk = gatewayOn(server, `${dir.path}/gateway.db`);
    await compare('WAL file db', server, onDisk);
    await onDisk.close();
    if (calls < SAMPLES) throw new Error(`the gateway made ${calls} calls, expected ≥ ${SAMPLES}`);
  } finally {
    await server.close();
    dir.remove();
  }
}
