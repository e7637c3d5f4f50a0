/**
 * The answer cache and mode selection against the naive way to use an LLM: `orrery paper --json` (the
 * CLI's own code path, in process) on the bundled data (SPY daily, the default) with a loopback LLM that
 * answers every request instantly, twice per round:
 *
 * - baseline: every cycle `LIGHT_REASONING` (`agents.mode.force`), answer cache off (`agents.cache.enabled: false`);
 * - default: the default configuration (mode selection, answer cache on).
 *
 * Figures per round: paid calls (provider requests the loopback server received, and the run's own
 * `llm.calls`) of each, their ratio default ÷ baseline (target ≤ 0.15), and the default run's cache hit
 * rate among the lookups — a lookup is made exactly when a cycle would have called (target ≥ 30 %).
 * Three rounds; min and median of each figure. Paid calls by task say where the remaining calls go.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import { main } from '../apps/runner/src/cli.ts';
import type { CliIO } from '../apps/runner/src/commands/io.ts';

/** One JSON answer that satisfies every schema the agents ask for (planets, sentiment, sun, critic, notes). */
const ANSWER = {
  plan: ['read the moons'],
  signal: 0.4,
  confidence: 0.6,
  reasons: ['loopback model'],
  type: 'decision',
  forecast: 0.5,
  rationale: 'loopback sun',
  verdict: 'approve',
  scale: 1,
  summary: 'nothing',
  sentiment: 0,
  fragility: 0.3,
  drivers: ['loopback'],
  watch: 'nothing',
};

const ROUNDS = 3;

interface RunFigures {
  requests: number;
  llmCalls: number;
  cycles: number;
  lookups: number;
  hits: number;
  modeCounts: Record<string, number>;
  byTask: Record<string, number>;
  /** Per answer cache: hits and misses by reason. */
  byAgent: Record<string, { hits: number; misses: Record<string, number> }>;
}

/** The task of a recorded provider request, read from its system prompt's first words. */
function taskOf(body: unknown): string {
  const b = body as { messages?: { role?: string; content?: unknown }[] };
  const system = String(b.messages?.find((m) => m.role === 'system')?.content ?? '');
  const first = system.split('\n')[0] ?? '';
  return first.slice(0, 60);
}

async function paper(llm: LlmServer, dir: string, runId: string, agents: object): Promise<RunFigures> {
  const config = join(dir, `${runId}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      memory: false,
      agents,
      gateway: {
        routing: { localBaseUrl: `${llm.url}/v1` },
        // a budget that never binds, so the modes are the configuration's, not the budget's
        budget: { maxCallsPerHour: 10_000_000, maxTokensPerHour: 10_000_000_000 },
      },
      run: {
        ledgerPath: join(dir, `${runId}.db`),
        gatewayDbPath: join(dir, `${runId}.g.db`),
        reportPath: join(dir, `${runId}.html`),
      },
    }),
  );
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { OPENAI_API_KEY: 'sk-loopback', OPENAI_BASE_URL: `${llm.url}/v1` },
    cwd: dir,
    isTTY: false,
    signal: new AbortController().signal,
  };
  llm.reset();
  const code = await main(
    ['node', 'orrery', 'paper', '--config', config, '--run-id', runId, '--json', '--no-progress'],
    io,
  );
  if (code !== 0) throw new Error(`orrery paper exited ${code}: ${err.join('\n').slice(-2000)}`);
  const json = JSON.parse(out.join('\n')) as {
    bars: number;
    modeCounts: Record<string, number>;
    llm: { calls: number };
    cache?: {
      lookups: number;
      hits: number;
      byAgent: Record<string, { hits: number; misses: Record<string, number> }>;
    };
  };
  const byTask: Record<string, number> = {};
  for (const q of llm.requests) {
    const t = taskOf(q.body);
    byTask[t] = (byTask[t] ?? 0) + 1;
  }
  return {
    requests: llm.requests.length,
    llmCalls: json.llm.calls,
    cycles: Object.values(json.modeCounts).reduce((a, b) => a + b, 0),
    lookups: json.cache?.lookups ?? 0,
    hits: json.cache?.hits ?? 0,
    modeCounts: json.modeCounts,
    byTask,
    byAgent: json.cache?.byAgent ?? {},
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const min = (xs: number[]) => Math.min(...xs);

export default async function run(): Promise<void> {
  const dir = tempDir('orrery-bench-cache-');
  const llm = await startLlmServer({ respond: () => ({ json: ANSWER, usage: { input: 500, output: 100 } }) });
  const ratios: number[] = [];
  const callRatios: number[] = [];
  const hitRates: number[] = [];
  let last: { base: RunFigures; dflt: RunFigures } | undefined;
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const base = await paper(llm, dir.path, `base${r}`, {
        mode: { force: 'LIGHT_REASONING' },
        cache: { enabled: false },
      });
      const dflt = await paper(llm, dir.path, `default${r}`, {});
      if (base.requests === 0) throw new Error('the baseline made no provider request: nothing to compare');
      ratios.push(dflt.requests / base.requests);
      callRatios.push(dflt.llmCalls / base.llmCalls);
      hitRates.push(dflt.lookups === 0 ? 0 : dflt.hits / dflt.lookups);
      console.log(
        `  round ${r + 1}: baseline ${base.requests} requests (${base.cycles} cycles, all LIGHT: ${base.modeCounts.LIGHT_REASONING}), ` +
          `default ${dflt.requests} requests, ratio ${ratios[r]!.toFixed(4)}, hit rate ${(100 * hitRates[r]!).toFixed(1)} % ` +
          `(${dflt.hits}/${dflt.lookups} lookups)`,
      );
      last = { base, dflt };
    }
    const fmt = (xs: number[], f: (x: number) => string) => `min ${f(min(xs))}, median ${f(median(xs))}`;
    console.log('SPY daily (bundled, the default data), loopback LLM answering instantly, 3 rounds');
    console.log(
      `  paid calls default ÷ all-LIGHT no-cache : ${fmt(ratios, (x) => x.toFixed(4))} (target ≤ 0.15)`,
    );
    console.log(`  same from the runs' own llm.calls       : ${fmt(callRatios, (x) => x.toFixed(4))}`);
    console.log(
      `  cache hit rate (lookups = would call)   : ${fmt(hitRates, (x) => `${(100 * x).toFixed(1)} %`)} (target ≥ 30 %)`,
    );
    if (last !== undefined) {
      console.log(`  default modes: ${JSON.stringify(last.dflt.modeCounts)}`);
      console.log('  default paid calls by prompt (first line of the system message):');
      for (const [t, n] of Object.entries(last.dflt.byTask).sort((a, b) => b[1] - a[1]))
        console.log(`    ${String(n).padStart(6)}  ${t}`);
      console.log('  default answer caches (hits; misses by reason):');
      for (const [agent, c] of Object.entries(last.dflt.byAgent)) {
        const misses = Object.entries(c.misses)
          .filter(([, n]) => n > 0)
          .map(([r, n]) => `${r} ${n}`)
          .join(', ');
        console.log(`    ${agent.padEnd(18)} hits ${c.hits}; misses ${misses || 'none'}`);
      }
    }
  } finally {
    await llm.close();
    dir.remove();
  }
}
