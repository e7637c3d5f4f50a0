import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { orreryArgv } from '../../../test/support/source-node.ts';

const TRACE = fileURLToPath(new URL('../../../test/support/trace-loads.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'orrery-cli-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `orrery <args>` from the sources and returns the URLs of the modules it loaded. */
function loads(name: string, args: readonly string[]): string[] {
  const file = join(dir, `${name}.txt`);
  const res = spawnSync(process.execPath, ['--import', TRACE, ...orreryArgv(args)], {
    encoding: 'utf8',
    env: { ...process.env, ORRERY_TRACE_LOADS: file },
  });
  expect(res.status, res.stderr).toBe(0);
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

const actions = (urls: string[]) => urls.filter((u) => u.includes('/src/commands/actions/'));
const heavy = (urls: string[]) => [
  ...new Set(
    urls.flatMap(
      (u) => /node_modules\/(?:\.pnpm\/)?(trading-signals|better-sqlite3|xstate|zod)[@/]/.exec(u)?.[1] ?? [],
    ),
  ),
];

describe('orrery start-up is lazy', () => {
  it('`orrery --help` and `orrery paper --help` load no command implementation, SQLite, XState or zod', () => {
    for (const [name, args] of [
      ['help', ['--help']],
      ['paper-help', ['paper', '--help']],
    ] as const) {
      const urls = loads(name, args);
      expect(urls.some((u) => u.includes('/apps/runner/src/cli.ts'))).toBe(true);
      expect(actions(urls)).toEqual([]);
      expect(heavy(urls)).toEqual([]);
    }
  }, 240_000);

  it('a command loads its own implementation, and only it, when it runs', () => {
    const urls = loads('schema', ['config', 'schema']);
    expect(actions(urls).map((u) => u.replace(/.*\/actions\//, ''))).toEqual(['config.ts']);
  }, 120_000);
});
