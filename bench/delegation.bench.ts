/**
 * @orrery/core delegation: what `delegateWithFallback` adds on top of the gateway call it makes.
 *
 * 1. One delegation answered by the first model of its chain, against `gateway.execute` pinned to the same
 *    model with the same messages (the baseline), p50 and p99, calls alternating so load hits both alike.
 * 2. A delegation whose first model is cooling down (the gateway refuses it without a call, records the
 *    refusal, and the chain moves on) against the direct call to the second model.
 * 3. `usageReport` over 100k ledger rows against `Ledger.summary` over the same rows (both read SQLite).
 *
 * The loopback server answers instantly in this process, so the baselines are tens of microseconds: the
 * ratios are worst cases; the overhead in microseconds is the figure to set against real LLM latencies.
 */
import { performance } from 'node:perf_hooks';
import {
  createGateway,
  delegateWithFallback,
  type Gateway,
  Ledger,
  openGatewayDb,
  usageReport,
} from '@orrery/core';
import { type LlmServer, startLlmServer } from '@orrery/testkit';

const WARMUP = 300;
const SAMPLES = 3_000;
const SYSTEM = 'Answer briefly and directly. No preamble.';
const PROMPT = 'Summarise: BTC-USD fell 2.1% in the last hour; RSI 28.';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function gatewayOn(server: LlmServer): Gateway {
  return createGateway({
    providers: {
      ollama: { kind: 'openai', baseUrl: `${server.url}/v1`, local: true },
      openai: { kind: 'openai', baseUrl: `${server.url}/v1` },
    },
    prices: { 'openai/bench': { inputPer1k: 0.00015, outputPer1k: 0.0006 } },
    routing: {
      default: { prefer: [{ provider: 'openai', model: 'bench' }] },
      rules: {
        quick: {
          prefer: [
            { provider: 'ollama', model: 'local' },
            { provider: 'openai', model: 'bench' },
          ],
        },
        cooled: {
          prefer: [
            { provider: 'ollama', model: 'cooling' },
            { provider: 'openai', model: 'bench' },
          ],
        },
      },
    },
    budget: { maxCallsPerHour: 10_000_000, maxTokensPerHour: 1e12, reserveCalls: 0, reserveTokens: 0 },
    cooldown: { baseMs: 3_600_000, maxMs: 3_600_000 },
  });
}

async function compare(
  label: string,
  baseline: () => Promise<unknown>,
  measured: () => Promise<unknown>,
): Promise<void> {
  for (let i = 0; i < WARMUP; i++) {
    await baseline();
    await measured();
  }
  const base: number[] = [];
  const meas: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const order = i % 2 === 0 ? [baseline, measured] : [measured, baseline];
    for (const f of order) {
      const t0 = performance.now();
      await f();
      (f === baseline ? base : meas).push(performance.now() - t0);
    }
  }
  base.sort((a, b) => a - b);
  meas.sort((a, b) => a - b);
  const us = (x: number) => `${(x * 1000).toFixed(0)} µs`;
  const [b50, b99, m50, m99] = [
    percentile(base, 50),
    percentile(base, 99),
    percentile(meas, 50),
    percentile(meas, 99),
  ];
  console.log(
    `[${label}] baseline p50 ${us(b50)} p99 ${us(b99)} · delegation p50 ${us(m50)} p99 ${us(m99)} · ` +
      `ratio p50 ${(m50 / b50).toFixed(2)}× p99 ${(m99 / b99).toFixed(2)}× · overhead p50 ${us(m50 - b50)}`,
  );
}

export default async function run(): Promise<void> {
  const server = await startLlmServer({ respond: () => ({ text: 'Down 2.1%, oversold.' }) });
  const gateway = gatewayOn(server);
  try {
    const messages = [
      { role: 'system' as const, content: SYSTEM },
      { role: 'user' as const, content: PROMPT },
    ];
    await compare(
      'first model answers',
      () => gateway.execute({ task: 'quick', messages, target: { provider: 'ollama', model: 'local' } }),
      () => delegateWithFallback(gateway, PROMPT, { task: 'quick' }),
    );
    server.script('cooling', [{ status: 429 }]);
    await gateway.execute({ task: 'cooled', messages }).catch(() => undefined);
    if (!gateway.isCoolingDown('ollama', 'cooling')) throw new Error('the cooling model is not cooling');
    await compare(
      'first model cooling',
      () => gateway.execute({ task: 'cooled', messages, target: { provider: 'openai', model: 'bench' } }),
      () =>
        delegateWithFallback(gateway, PROMPT, {
          task: 'cooled',
          settings: { systemPrompt: SYSTEM },
        }),
    );
    if (server.requestsFor('cooling').length !== 1) throw new Error('the cooling model was called again');
  } finally {
    await gateway.close();
    await server.close();
  }

  const db = openGatewayDb(':memory:');
  const ref = { name: 'openai/gpt-4o', inputPer1k: 0.0025, outputPer1k: 0.01 };
  const now = Date.UTC(2026, 0, 8);
  const ledger = new Ledger(db, ref, () => now);
  const outcomes = ['ok', 'ok', 'ok', 'error', 'refused', 'cache_hit'] as const;
  db.transaction(() => {
    for (let i = 0; i < 100_000; i++) {
      const outcome = outcomes[i % outcomes.length] ?? 'ok';
      ledger.record({
        at: now - (i % 7) * 86_400_000 - i,
        task: ['quick', 'review', 'heavy', 'summarise'][i % 4] ?? 'quick',
        mode: undefined,
        agent: 'delegate',
        chain: undefined,
        provider: i % 3 === 0 ? 'openai' : 'ollama',
        model: i % 3 === 0 ? 'gpt-4o-mini' : 'llama3.2:3b',
        outcome,
        reason: outcome === 'refused' ? 'cooldown' : undefined,
        code: undefined,
        message: undefined,
        critical: false,
        tokensIn: 400 + (i % 50),
        tokensOut: 120 + (i % 30),
        costUsd: i % 3 === 0 ? 0.0001 : 0,
        latencyMs: 100 + (i % 200),
      });
    }
  })();
  const time = (f: () => unknown) => {
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      f();
      runs.push(performance.now() - t0);
    }
    return runs.sort((a, b) => a - b)[3] ?? Number.NaN;
  };
  const since = now - 7 * 86_400_000;
  const summary = time(() => ledger.summary({ days: 7 }));
  const report = time(() => usageReport(ledger.since(since), ref, { since, until: now }));
  console.log(
    `[100k ledger rows] Ledger.summary ${summary.toFixed(1)} ms (baseline) · usageReport(ledger.since) ${report.toFixed(1)} ms · ratio ${(report / summary).toFixed(2)}×`,
  );
  db.close();
}
