/**
 * `pnpm bench distributed`.
 * Planets on other machines: `LIGHT_REASONING` cycles of 50 symbols, unbatched (one `cycle` per symbol,
 * all at once), whose technical planet is hosted by `orrery planet technical --nats URL --concurrency 1`
 * worker processes over a real nats-server, each worker in front of its own loopback LLM that answers in
 * 100 ms (a worker with its own local model, serving one request at a time). Figures: cycles/s with 1 and
 * with 2 workers (a NATS queue group shares the load), the ratio (target ≥ 1.6), and the NATS hop's added
 * latency per consult against the same planet consulted in process through a gateway on an identical
 * 100 ms model.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type Bar,
  type CycleRecord,
  createSolarSystem,
  remotePlanet,
  type SolarSystem,
} from '@orrery/agents';
import { NatsBus } from '@orrery/bus';
import { createGateway, type GatewayConfigInput } from '@orrery/core';
import { BUNDLED_DATASETS, loadCsvFile } from '@orrery/feeds';
import { startLlmServer, startNatsServer, tempDir } from '@orrery/testkit';
import { orreryArgv } from '../test/support/source-node.ts';

const SYMBOLS = 50;
const MODEL_MS = 100;
const STEPS = 4;
const PLANET_ANSWER = { plan: ['read the trend'], signal: 0.3, confidence: 0.6, reasons: ['trend up'] };

function gatewayConfig(llmUrl: string): GatewayConfigInput {
  return {
    providers: { openai: { kind: 'openai', baseUrl: `${llmUrl}/v1`, apiKey: 'sk-bench', timeoutMs: 60_000 } },
    routing: { default: { prefer: [{ provider: 'openai', model: 'bench' }] }, localBaseUrl: `${llmUrl}/v1` },
    budget: { maxCallsPerHour: 10_000_000, maxTokensPerHour: 1e12, reserveCalls: 0, reserveTokens: 0 },
  };
}

/** Every bar is a reasoning cycle past the warm-up; the sun itself never reasons. */
const AGENTS = {
  mode: { minChangedForLight: 0, fullAgentStakes: 1e9, fullAgentFragility: 1e9, lowConfidence: 0 },
  materialChange: { warmupBars: 40 },
  // no bar is a critical spike: every measured cycle is a LIGHT_REASONING consult
  moons: { spikeTrMultiple: 1e9 },
  planetTimeoutMs: 120_000,
  // every consult asks its model (an answer cache would hide the hop behind hits)
  cache: { enabled: false },
};

async function worker(
  dir: string,
  natsUrl: string,
  name: string,
): Promise<{ child: ChildProcess; close(): Promise<void> }> {
  const llm = await startLlmServer({ respond: () => ({ json: PLANET_ANSWER, delayMs: MODEL_MS }) });
  const cfg = join(dir, `${name}.yaml`);
  writeFileSync(cfg, JSON.stringify({ gateway: gatewayConfig(llm.url) }));
  const child = spawn(
    process.execPath,
    orreryArgv([
      'planet',
      'technical',
      '--nats',
      natsUrl,
      '--config',
      cfg,
      '--gateway-db',
      ':memory:',
      '--concurrency',
      '1',
    ]),
    { cwd: dir, env: { PATH: process.env.PATH ?? '', HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`worker ${name} did not start: ${out}`)), 120_000);
    const seen = (c: Buffer) => {
      out += c.toString();
      if (/answering/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', seen);
    child.stderr?.on('data', seen);
    child.once('exit', (code) => reject(new Error(`worker ${name} exited ${code}: ${out}`)));
  });
  return {
    child,
    async close() {
      child.kill('SIGTERM');
      await llm.close();
    },
  };
}

/** Runs `bars` for every symbol, a step at a time (all symbols at once, one `cycle` each). */
async function steps(sys: SolarSystem, bars: readonly Bar[], symbols: readonly string[]) {
  const portfolio = { equity: 1e6, cash: 1e6, positions: {} };
  const perStep: { ms: number; light: number; timeouts: number; modes: string }[] = [];
  for (const bar of bars) {
    const t0 = performance.now();
    const records: CycleRecord[] = await Promise.all(
      symbols.map((symbol) => sys.cycle({ symbol, bar, portfolio })),
    );
    perStep.push({
      ms: performance.now() - t0,
      light: records.filter((r) => r.mode === 'LIGHT_REASONING').length,
      modes: [...new Set(records.map((r) => `${r.mode}: ${r.modeReason}`))].join(' | '),
      timeouts: records.filter((r) => r.planets.some((p) => p.status === 'timeout')).length,
    });
  }
  return perStep;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

export default async function run(): Promise<void> {
  const dir = tempDir('orrery-bench-distributed-');
  const nats = await startNatsServer();
  const sunLlm = await startLlmServer({ respond: () => ({ json: PLANET_ANSWER }) });
  const slowLlm = await startLlmServer({ respond: () => ({ json: PLANET_ANSWER, delayMs: MODEL_MS }) });
  const bars = loadCsvFile(BUNDLED_DATASETS.spy.path, BUNDLED_DATASETS.spy.load).bars.slice(
    0,
    AGENTS.materialChange.warmupBars + 1 + STEPS * 2,
  );
  const warm = bars.slice(0, AGENTS.materialChange.warmupBars + 1);
  const symbols = Array.from({ length: SYMBOLS }, (_, i) => `S${i}`);
  const workers: { close(): Promise<void> }[] = [];
  const bus = await NatsBus.connect({ servers: [nats.url], name: 'bench-sun' });
  const sunGateway = createGateway(gatewayConfig(sunLlm.url), { dbPath: join(dir.path, 'sun.db') });
  const slowGateway = createGateway(gatewayConfig(slowLlm.url), { dbPath: join(dir.path, 'local.db') });
  try {
    const sys = createSolarSystem({
      config: { ...AGENTS, planets: { enabled: [] } },
      gateway: sunGateway,
      planets: [() => remotePlanet(bus, { name: 'technical', timeoutMs: 110_000, timeoutAsReport: true })],
    });
    workers.push(await worker(dir.path, nats.url, 'w1'));
    await steps(sys, warm, symbols);
    const measured = bars.slice(warm.length);
    const one = await steps(sys, measured.slice(0, STEPS), symbols);
    workers.push(await worker(dir.path, nats.url, 'w2'));
    const two = await steps(sys, measured.slice(STEPS), symbols);
    await sys.stop();
    const rate = (s: { ms: number; light: number }[]) => median(s.map((x) => (x.light / x.ms) * 1000));
    const r1 = rate(one);
    const r2 = rate(two);
    const bad = [...one, ...two].filter((s) => s.light !== SYMBOLS || s.timeouts > 0);
    console.log(
      `${SYMBOLS} symbols, LIGHT_REASONING, unbatched; technical planet on orrery planet workers (model ${MODEL_MS} ms, one request at a time each):`,
    );
    console.log(
      `  1 worker : ${r1.toFixed(2)} cycles/s (median of ${STEPS} steps, ${median(one.map((s) => s.ms)).toFixed(0)} ms per step)`,
    );
    console.log(
      `  2 workers: ${r2.toFixed(2)} cycles/s (median of ${STEPS} steps, ${median(two.map((s) => s.ms)).toFixed(0)} ms per step)`,
    );
    console.log(
      `  ratio 2 workers / 1 = ${(r2 / r1).toFixed(2)}x (target >= 1.6)${bad.length > 0 ? `; ${bad.length} step(s) had a cycle not LIGHT or a timeout (${bad.map((s) => `${s.light} light, ${s.timeouts} timed out, ${s.modes}`).join('; ')})` : ''}`,
    );

    // The hop: one symbol, one consult per bar, remote (2 workers idle) against in process.
    const single = bars.slice(0, warm.length + 12);
    const remoteSys = createSolarSystem({
      config: { ...AGENTS, planets: { enabled: [] } },
      gateway: sunGateway,
      planets: [() => remotePlanet(bus, { name: 'technical', timeoutMs: 110_000, timeoutAsReport: true })],
    });
    const localSys = createSolarSystem({
      config: { ...AGENTS, planets: { enabled: ['technical'] } },
      gateway: slowGateway,
    });
    const consultMs = async (s: SolarSystem) => {
      const out: number[] = [];
      for (const bar of single) {
        const r = await s.cycle({ symbol: 'H', bar, portfolio: { equity: 1e6, cash: 1e6, positions: {} } });
        if (r.mode === 'LIGHT_REASONING') out.push(r.stagesMs.planets ?? Number.NaN);
      }
      return out;
    };
    const remote = median(await consultMs(remoteSys));
    const local = median(await consultMs(localSys));
    await remoteSys.stop();
    await localSys.stop();
    console.log(
      `  consult latency (median): over NATS ${remote.toFixed(1)} ms, in process ${local.toFixed(1)} ms (baseline): the hop adds ${(remote - local).toFixed(1)} ms (${(remote / local).toFixed(3)}x)`,
    );
  } finally {
    for (const w of workers) await w.close();
    await bus.close();
    await sunGateway.close();
    await slowGateway.close();
    await sunLlm.close();
    await slowLlm.close();
    await nats.stop();
    dir.remove();
  }
}
