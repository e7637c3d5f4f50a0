/**
 * `pnpm bench cli-help`.
 * Start-up cost of the `orrery` command: wall time of `orrery --help` run from the compiled JavaScript
 * (apps/runner/dist, plain `node`, no tsx, no source condition) against `node -e 0` in the same run, the two
 * alternating so that machine load affects both alike; median of RUNS each. Target: ≤ 4×.
 * Builds the packages first (`node scripts/build.mjs`) when any dist/ is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ORRERY_BIN } from '../test/support/source-node.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD = join(ROOT, 'scripts/build.mjs');
const RUNS = 10;

/** The environment of the measured processes: this one's, without flags that would add tsx or conditions. */
function plainEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

/** Builds every package unless each one already has its dist/index.js. */
function ensureBuilt(): void {
  const list = spawnSync(process.execPath, [BUILD, '--list'], { cwd: ROOT, encoding: 'utf8' });
  if (list.status !== 0) throw new Error(`scripts/build.mjs --list failed: ${list.stderr}`);
  const dirs = list.stdout.split('\n').filter(Boolean);
  if (dirs.every((d) => existsSync(join(ROOT, d, 'dist', 'index.js')))) return;
  console.log('dist/ missing: building the packages (node scripts/build.mjs)…');
  const built = spawnSync(process.execPath, [BUILD], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('build failed');
}

/** Wall time (ms) of one `node <args>` to exit; throws unless it exits 0 printing `expect`. */
function timed(args: readonly string[], expect: RegExp): number {
  const t0 = performance.now();
  const res = spawnSync(process.execPath, args, { cwd: ROOT, env: plainEnv(), encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (res.status !== 0 || !expect.test(res.stdout)) {
    throw new Error(`node ${args.join(' ')} exited ${res.status}:\n${res.stdout}\n${res.stderr}`);
  }
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

export default async function run(): Promise<void> {
  ensureBuilt();
  const help = [ORRERY_BIN, '--help'];
  const bare = ['-e', '0'];
  timed(help, /Usage: orrery/); // warm the disk cache
  timed(bare, /^$/);
  const helpMs: number[] = [];
  const bareMs: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    helpMs.push(timed(help, /Usage: orrery/));
    bareMs.push(timed(bare, /^$/));
  }
  const h = median(helpMs);
  const b = median(bareMs);
  const f = (n: number) => n.toFixed(0);
  console.log(
    `orrery --help (dist, plain node): median ${f(h)} ms (min ${f(Math.min(...helpMs))}) of ${RUNS}`,
  );
  console.log(
    `node -e 0        baseline:        median ${f(b)} ms (min ${f(Math.min(...bareMs))}) of ${RUNS}`,
  );
  console.log(`ratio: ${(h / b).toFixed(1)}× (target ≤ 4×)`);
}
