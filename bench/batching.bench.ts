/**
 * Batching planet calls across symbols (`SolarSystem.cycleMany`): 20 symbols on one bar time, every cycle
 * in LIGHT_REASONING, against the loopback LLM server through the real gateway. Figures per cycle step
 * (20 symbol-cycles): provider calls and tokens (the loopback server counts ~4 characters per token, as
 * a provider roughly does), batched against unbatched (`batching: false`) in the same run, as ratios.
 */
import { type Bar, type CycleInput, createSolarSystem } from '@orrery/agents';
import { createGateway } from '@orrery/core';
import { startLlmServer, tempDir } from '@orrery/testkit';

const SYMBOLS = 20;
const STEPS = 40;

function bars(seed: number, n: number): Bar[] {
  const out: Bar[] = [];
  let close = 100 + seed;
  for (let i = 0; i < n; i++) {
    const open = close;
    close = open * (1 + 0.02 * Math.sin(i / 3 + seed) + 0.004 * Math.cos(i * 1.7 + seed));
    out.push({
      time: Date.UTC(2024, 0, 1) + i * 86_400_000,
      open,
      high: Math.max(open, close) * 1.005,
      low: Math.min(open, close) * 0.995,
      close,
      volume: 1e6,
    });
  }
  return out;
}

const ANSWER = { plan: ['read'], signal: 0.3, confidence: 0.6, reasons: ['bench'] };

async function measure(batching: boolean): Promise<{ calls: number; tokens: number; ms: number }> {
  const server = await startLlmServer({
    respond: (req) => {
      const text = (req.body as { messages: { content: string }[] }).messages
        .map((m) => m.content)
        .join('\n');
      const symbols = [...text.matchAll(/^### (".*")$/gm)].map((m) => JSON.parse(m[1]!) as string);
      return symbols.length === 0
        ? { json: ANSWER }
        : { json: Object.fromEntries(symbols.map((s) => [s, ANSWER])) };
    },
  });
  const dir = tempDir('orrery-bench-batch-');
  const gateway = createGateway(
    {
      providers: {
        openai: { kind: 'openai', baseUrl: `${server.url}/v1`, apiKey: 'sk-bench', timeoutMs: 30_000 },
      },
      routing: { default: { prefer: [{ provider: 'openai', model: 'planet' }] } },
      budget: {
        maxCallsPerHour: 10_000_000,
        maxTokensPerHour: 10_000_000_000,
        reserveCalls: 0,
        reserveTokens: 0,
      },
    },
    { dbPath: `${dir.path}/gateway.db` },
  );
  // Every bar is reasoned about by the planets; never by the sun (so only planet calls are compared).
  const sys = createSolarSystem({
    config: { mode: { minChangedForLight: 0, fullAgentStakes: 2, fullAgentFragility: 2, lowConfidence: 0 } },
    gateway,
    batching: batching ? {} : false,
  });
  const series = Array.from({ length: SYMBOLS }, (_, k) => bars(k, STEPS));
  let calls = 0;
  let tokens = 0;
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) {
    const inputs: CycleInput[] = series.map((b, k) => ({
      symbol: `S${k}`,
      bar: b[i]!,
      portfolio: { equity: 100_000, cash: 100_000, positions: {} },
    }));
    for (const r of await sys.cycleMany(inputs)) {
      calls += r.calls;
      tokens += r.tokensIn + r.tokensOut;
    }
  }
  const ms = performance.now() - t0;
  const served = server.requests.length;
  await sys.stop();
  await gateway.close();
  await server.close();
  dir.remove();
  if (Math.abs(served - calls) > 1e-6)
    throw new Error(`records count ${calls} calls, the server saw ${served}`);
  return { calls: calls / STEPS, tokens: tokens / STEPS, ms: ms / STEPS };
}

export default async function run(): Promise<void> {
  const plain = await measure(false);
  const batched = await measure(true);
  const f = (x: number) => x.toFixed(1);
  console.log(`${SYMBOLS} symbols, ${STEPS} steps, every cycle LIGHT_REASONING (3 planets call the LLM):`);
  console.log(
    `  unbatched: ${f(plain.calls)} calls, ${f(plain.tokens)} tokens, ${f(plain.ms)} ms per step (baseline)`,
  );
  console.log(
    `  batched:   ${f(batched.calls)} calls, ${f(batched.tokens)} tokens, ${f(batched.ms)} ms per step`,
  );
  console.log(
    `  ratio batched/unbatched: calls ${(batched.calls / plain.calls).toFixed(3)}, tokens ${(batched.tokens / plain.tokens).toFixed(3)}, wall time ${(batched.ms / plain.ms).toFixed(3)}`,
  );
}
