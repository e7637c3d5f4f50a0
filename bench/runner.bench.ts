/**
 * apps/runner: replay speed of `orrery paper`'s whole loop (CSV parse, the solar system's cycle with its
 * supervised moon and planet actors, risk clamp, paper broker, one SQLite transaction per bar) against
 * the floor of any replay: parsing the same CSV and updating the same moons (indicators) bar by bar.
 * No LLM is reachable, so this is the cost of the machinery itself. Figures: bars/s of each and their
 * ratio (the loop's share of the floor's speed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createMoonBank } from '@orrery/agents';
import { BUNDLED_DATASETS, loadCsvFile } from '@orrery/feeds';
import { freePort } from '@orrery/testkit';
import { Bench } from 'tinybench';
import { parseConfig } from '../apps/runner/src/config/load.ts';
import { runPaper } from '../apps/runner/src/session/paper-run.ts';

const FROM = '2010-01-01';
const FROM_MS = Date.UTC(2010, 0, 1);

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'orrery-bench-runner-'));
  const bars = loadCsvFile(BUNDLED_DATASETS.spy.path, BUNDLED_DATASETS.spy.load).bars.filter(
    (b) => b.time >= FROM_MS,
  );
  const closedPort = await freePort();
  let runs = 0;
  const io = {
    out: () => undefined,
    err: () => undefined,
    env: {},
    cwd: dir,
    isTTY: false,
    signal: new AbortController().signal,
  };
  try {
    const bench = new Bench({ iterations: 5, time: 0, warmupIterations: 1, warmupTime: 0 });
    bench
      .add('parse + indicators', () => {
        const { bars: parsed } = loadCsvFile(BUNDLED_DATASETS.spy.path, BUNDLED_DATASETS.spy.load);
        const moons = createMoonBank({ symbol: 'SPY' });
        for (const b of parsed) if (b.time >= FROM_MS) moons.update(b);
      })
      .add('full paper loop', async () => {
        const id = `b${runs++}`;
        const loaded = parseConfig(
          {
            memory: false,
            gateway: { routing: { localBaseUrl: `http://127.0.0.1:${closedPort}/v1` } },
            run: { ledgerPath: join(dir, `${id}.db`), reportPath: join(dir, `${id}.html`) },
          },
          { source: 'bench', baseDir: dir, env: {} },
        );
        await runPaper({ loaded, data: { source: 'spy' }, from: FROM, runId: id, progress: false }, io);
      });
    const t0 = performance.now();
    await bench.run();
    const rate = (name: string) => {
      const r = bench.getTask(name)?.result;
      if (r === undefined || r.state !== 'completed')
        throw new Error(`benchmark task ${name} did not complete`);
      return bars.length / (r.latency.p50 / 1000);
    };
    const floor = rate('parse + indicators');
    const loop = rate('full paper loop');
    console.log(
      `SPY daily ${FROM}.. (${bars.length} bars), median of 5 runs, ${((performance.now() - t0) / 1000).toFixed(1)} s in all`,
    );
    console.log(`  parse + indicators : ${floor.toFixed(0)} bars/s`);
    console.log(`  full paper loop    : ${loop.toFixed(0)} bars/s (report and summary included)`);
    console.log(
      `  ratio              : ${(loop / floor).toFixed(3)}× the floor (${(floor / loop).toFixed(1)}× slower)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
