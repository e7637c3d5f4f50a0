/**
 * Memory's cost to a backtest (issue 21): the same `orrery paper` run on the bundled daily BTC data with
 * episodic memory on (SQLite plus the embedded Chroma, started and stopped by the run) and off, run
 * alternately so drift in the machine's load falls on both. No LLM is reachable, so every reasoned cycle
 * is the planets' consensus and is remembered as an episode. Figures: wall time of each run, the median
 * of on ÷ off over the pairs (target ≤ 1.2), and the episodes a memory-on run recorded and indexed.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EpisodicMemory } from '@orrery/memory';
import { freePort } from '@orrery/testkit';
import { parseConfig } from '../apps/runner/src/config/load.ts';
import { runPaper } from '../apps/runner/src/session/paper-run.ts';

const SOURCE = 'btc';
const PAIRS = 3;

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'orrery-bench-memory-run-'));
  const closedPort = await freePort();
  const io = {
    out: () => undefined,
    err: () => undefined,
    env: {},
    cwd: dir,
    isTTY: false,
    signal: new AbortController().signal,
  };
  let runs = 0;
  /** One paper run in its own folder (its own memory database and Chroma data); its wall time, ms. */
  const paper = async (memory: boolean): Promise<{ ms: number; steps: number; folder: string }> => {
    const folder = join(dir, `r${runs++}`);
    mkdirSync(folder);
    const loaded = parseConfig(
      {
        memory: memory ? { dbPath: join(folder, 'memory.db') } : false,
        gateway: { routing: { localBaseUrl: `http://127.0.0.1:${closedPort}/v1` } },
        run: {
          ledgerPath: join(folder, 'ledger.db'),
          reportPath: join(folder, 'report.html'),
          gatewayDbPath: join(folder, 'gateway.db'),
        },
      },
      { source: 'bench', baseDir: folder, env: {} },
    );
    const t0 = performance.now();
    const r = await runPaper({ loaded, data: { source: SOURCE }, runId: 'bench', progress: false }, io);
    return { ms: performance.now() - t0, steps: r.committed, folder };
  };
  try {
    const ratios: number[] = [];
    let last: { steps: number; folder: string } | undefined;
    // A warm-up pair, not counted: the first runs pay for loading and compiling the code.
    await paper(false);
    await paper(true);
    for (let i = 0; i < PAIRS; i++) {
      const off = await paper(false);
      const on = await paper(true);
      ratios.push(on.ms / off.ms);
      last = on;
      console.log(
        `  pair ${i + 1}: off ${(off.ms / 1000).toFixed(2)} s, on ${(on.ms / 1000).toFixed(2)} s, on ÷ off ${(on.ms / off.ms).toFixed(2)}`,
      );
    }
    const memory = await EpisodicMemory.open({
      dbPath: join(last!.folder, 'memory.db'),
      chroma: { mode: 'off' },
    });
    const { episodes, indexed } = memory.stats();
    await memory.close();
    console.log(
      `bundled '${SOURCE}' (${last!.steps} bars), ${PAIRS} alternating pairs off/on after a warm-up pair`,
    );
    console.log(`  episodes           : ${episodes} recorded, ${indexed} indexed by the run's end`);
    console.log(
      `  memory on ÷ off    : median ${median(ratios).toFixed(2)}, min ${Math.min(...ratios).toFixed(2)} (target ≤ 1.2)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
