/**
 * @orrery/core record and replay: what recording every answer adds to `gateway.execute` (the same gateway
 * with and without `recordingGateway`, on a WAL file next to its ledger, alternating call by call against
 * the loopback LLM server), what it adds to a `canServe` probe (the agents ask one to three per cycle),
 * and what a replayed answer costs against a live one. Figures as p50/p99 ratios against the unrecorded
 * gateway measured in the same run.
 */
import { performance } from 'node:perf_hooks';
import {
  createGateway,
  createReplayGateway,
  type Gateway,
  RecordingStore,
  recordingGateway,
} from '@orrery/core';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';

const WARMUP = 300;
const SAMPLES = 3_000;

const ask = (i: number) => ({
  task: 'planet_analysis',
  messages: [
    { role: 'system' as const, content: 'You are the risk planet. Answer in one sentence.' },
    { role: 'user' as const, content: `BTC-USD bar ${i}: fell 2.1% in the last hour; RSI 28. Risk view?` },
  ],
  temperature: 0,
});

function gatewayOn(server: LlmServer, dbPath: string): Gateway {
  return createGateway(
    {
      providers: { openai: { kind: 'openai', baseUrl: `${server.url}/v1` } },
      prices: { 'openai/bench': { inputPer1k: 0.00015, outputPer1k: 0.0006 } },
      routing: { default: { prefer: [{ provider: 'openai', model: 'bench' }] } },
      budget: { maxCallsPerHour: 1e9, maxTokensPerHour: 1e12, reserveCalls: 0, reserveTokens: 0 },
    },
    { dbPath },
  );
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

async function timeEach(fns: (() => unknown)[], n: number): Promise<number[][]> {
  const out = fns.map(() => [] as number[]);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < fns.length; k++) {
      const j = (i + k) % fns.length; // rotate the order so no path always runs first
      const t0 = performance.now();
      await fns[j]!();
      out[j]!.push(performance.now() - t0);
    }
  }
  return out;
}

function report(label: string, base: number[], other: number[]): void {
  const [b50, b99, o50, o99] = [pct(base, 50), pct(base, 99), pct(other, 50), pct(other, 99)];
  console.log(
    `${label}: p50 ${us(o50)} vs ${us(b50)} (${(o50 / b50).toFixed(2)}×), p99 ${us(o99)} vs ${us(b99)} (${(o99 / b99).toFixed(2)}×)`,
  );
}

export default async function run(): Promise<void> {
  const server = await startLlmServer({ respond: () => ({ text: 'Risk rising; tighten the stop to 2%.' }) });
  const dir = tempDir('orrery-bench-recording-');
  const dbPath = `${dir.path}/gateway.db`;
  const store = RecordingStore.open(dbPath);
  const plain = gatewayOn(server, dbPath);
  const recorded = recordingGateway(gatewayOn(server, dbPath), { store, runId: 'bench' });
  try {
    let i = 0;
    await timeEach([() => plain.execute(ask(i++)), () => recorded.execute(ask(i++))], WARMUP);
    let a = 0;
    let b = 0;
    const [base, rec] = await timeEach(
      [() => plain.execute(ask(1e6 + a++)), () => recorded.execute(ask(2e6 + b++))],
      SAMPLES,
    );
    console.log(`baseline: gateway.execute without recording, WAL file (${SAMPLES} calls each)`);
    report('execute with recording / without', base!, rec!);

    const [probeBase, probeRec] = await timeEach(
      [() => plain.canServe('planet_analysis'), () => recorded.canServe('planet_analysis')],
      SAMPLES,
    );
    report('canServe with recording / without', probeBase!, probeRec!);

    // Replay: the recorded answers again, from SQLite, no provider. Baseline: the live call.
    const replay = createReplayGateway({ store, runId: 'bench' });
    // The timed recorded requests, asked again (the first WARMUP of them untimed).
    const replayed: number[] = [];
    for (let k = 0; k < SAMPLES; k++) {
      const t0 = performance.now();
      await replay.execute(ask(2e6 + k));
      if (k >= WARMUP) replayed.push(performance.now() - t0);
    }
    report('replayed answer / live call', base!, replayed);
    if (replay.replayReport().missing.length > 0) throw new Error('replay missed recorded answers');
    await replay.close();
  } finally {
    await plain.close();
    await recorded.close();
    store.close();
    await server.close();
    dir.remove();
  }
}
