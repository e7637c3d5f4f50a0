/**
 * apps/runner: replay speed of `orrery paper`'s whole loop (CSV parse, the solar system's cycle with its
 * supervised moon and planet actors, risk clamp, paper broker, one SQLite transaction per bar) against
 * the floor of any replay: parsing the same CSV and updating the same moons (indicators) bar by bar.
 * No LLM is reachable, so this is the cost of the machinery itself. Figures: bars/s of each and their
 * ratio (the loop's share of the floor's speed). Then the bundled hourly BTC file through `orrery paper
 * --no-memory` in child processes, at 2k and at 20k bars: the loop's bars/s against the floor on the same
 * file, and peak RSS at 20k bars ÷ at 2k bars (a run's memory should grow with its data, not its bars).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createMoonBank } from '@orrery/agents';
import { BUNDLED_DATASETS, loadCsvFile } from '@orrery/feeds';
import { freePort } from '@orrery/testkit';
import { Bench } from 'tinybench';
import { parseConfig } from '../apps/runner/src/config/load.ts';
import { runPaper } from '../apps/runner/src/session/paper-run.ts';
import { orreryArgv } from '../test/support/source-node.ts';

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
    hourly(dir, closedPort);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Prints the process's peak RSS (kB) on stderr as it exits: loaded into the child with `--import`. */
const PEAK_RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('\\nPEAK_RSS_KB '+process.resourceUsage().maxRSS+'\\n'))`;

/** One `orrery paper --no-memory` on the hourly bars up to `to`, in a child process: peak RSS and times. */
function paperChild(
  dir: string,
  port: number,
  to: string,
  id: string,
): { rssMb: number; totalMs: number; loopMs: number } {
  const cfg = join(dir, `${id}.json`);
  writeFileSync(
    cfg,
    JSON.stringify({ gateway: { routing: { localBaseUrl: `http://127.0.0.1:${port}/v1` } } }),
  );
  const args = [
    '--import',
    PEAK_RSS_HOOK,
    ...orreryArgv(['paper', '--config', cfg, '--data', 'btc-hourly', '--to', to]),
    ...['--no-memory', '--no-progress', '--json', '--run-id', id],
  ];
  const res = spawnSync(process.execPath, args, {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: dir },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const rss = /PEAK_RSS_KB (\d+)/.exec(res.stderr ?? '');
  if (res.status !== 0 || rss === null)
    throw new Error(`orrery paper (${id}) failed (${res.status}): ${(res.stderr ?? '').slice(-2000)}`);
  const { timing } = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as {
    timing: { totalMs: number; phasesMs: Record<string, number> };
  };
  return {
    rssMb: Number(rss[1]) / 1024,
    totalMs: timing.totalMs,
    loopMs: (timing.phasesMs.loop ?? 0) + (timing.phasesMs.learning ?? 0),
  };
}

/** The hourly figures: loop ÷ floor on 20k bars, and peak RSS at 20k ÷ at 2k bars. */
function hourly(dir: string, port: number): void {
  const file = BUNDLED_DATASETS['btc-hourly'];
  const t0 = performance.now();
  const all = loadCsvFile(file.path, file.load).bars;
  const moons = createMoonBank({ symbol: 'BTC/USD' });
  for (const b of all) moons.update(b);
  const floor = all.length / ((performance.now() - t0) / 1000);
  const day = (i: number) => new Date(all[Math.min(i, all.length) - 1]!.time).toISOString().slice(0, 10);
  const small = paperChild(dir, port, day(2_000), 'h2k');
  const large = paperChild(dir, port, day(20_000), 'h20k');
  const n = Math.min(all.length, 20_000);
  const whole = n / (large.totalMs / 1000);
  const loop = n / (large.loopMs / 1000);
  console.log(`BTC/USD hourly, orrery paper --no-memory in a child process (${all.length} bars in the file)`);
  console.log(`  parse + indicators : ${floor.toFixed(0)} bars/s`);
  console.log(
    `  paper run, 20k     : ${whole.toFixed(0)} bars/s = ${(whole / floor).toFixed(3)}× the floor (counterfactual and report included)`,
  );
  console.log(
    `  paper loop, 20k    : ${loop.toFixed(0)} bars/s = ${(loop / floor).toFixed(3)}× the floor (the summary's loop + learning time)`,
  );
  console.log(
    `  peak RSS           : ${small.rssMb.toFixed(0)} MB at 2k bars, ${large.rssMb.toFixed(0)} MB at 20k bars`,
  );
  console.log(`  peak RSS 20k ÷ 2k  : ${(large.rssMb / small.rssMb).toFixed(2)}`);
}
