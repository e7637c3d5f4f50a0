import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { freePort, tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import type { CliIO } from '../src/commands/io.ts';
import { lockRun } from '../src/runs/run-lock.ts';
import { startOrrery } from './support/paper-cli.ts';

const dirs: { remove(): void }[] = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});
function workDir(): string {
  const d = tempDir('orrery-runs-');
  dirs.push(d);
  return d.path;
}

async function cli(cwd: string, args: readonly string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: {},
    cwd,
    isTTY: false,
    signal: new AbortController().signal,
  };
  const code = await main(['node', 'orrery', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('orrery runs list|show|rm', () => {
  it('lists runs with their files and sizes, shows one, removes one (rows and files), and refuses a held run', async () => {
    const dir = workDir();
    const closed = await freePort();
    writeFileSync(
      join(dir, 'orrery.yaml'),
      `memory:\n  dbPath: .orrery/memory/{runId}/episodes.db\n  chroma: { mode: 'off' }\ngateway:\n  routing:\n    localBaseUrl: http://127.0.0.1:${closed}/v1\n`,
    );
    const data = join(dir, 'bars.csv');
    const lines = ['date,close'];
    for (let i = 0; i < 40; i++)
      lines.push(
        `${new Date(Date.UTC(2021, 0, 1 + i)).toISOString().slice(0, 10)},${100 + Math.sin(i) * 3 + i * 0.1}`,
      );
    writeFileSync(data, lines.join('\n'));
    for (const id of ['keep-me', 'drop-me']) {
      const r = await cli(dir, ['paper', '--data', data, '--run-id', id]);
      expect(r.code, r.err).toBe(0);
    }

    const list = await cli(dir, ['runs', 'list', '--json']);
    expect(list.code).toBe(0);
    const runs = JSON.parse(list.out) as {
      id: string;
      status: string;
      ledgerRows: number;
      files: { kind: string; path: string; bytes: number }[];
    }[];
    expect(runs.map((r) => [r.id, r.status])).toEqual([
      ['drop-me', 'completed'],
      ['keep-me', 'completed'],
    ]);
    const drop = runs[0]!;
    expect(drop.ledgerRows).toBeGreaterThan(40);
    expect(drop.files.map((f) => f.kind).sort()).toEqual(['memory', 'report']);
    expect(drop.files.every((f) => f.bytes > 0 && existsSync(f.path))).toBe(true);
    expect((await cli(dir, ['runs', 'list'])).out).toMatch(/^drop-me\s+paper\s+completed\s+2021-02-09/m);
    expect((await cli(dir, ['runs', 'show', 'drop-me'])).out).toMatch(
      /Run drop-me \(paper, completed\)[\s\S]*report\s+\S+drop-me\.html/,
    );

    // A process that holds the run (running or resuming it) makes removal refuse.
    const held = lockRun(join(dir, '.orrery', 'ledger.db'), 'drop-me');
    const refused = await cli(dir, ['runs', 'rm', 'drop-me']);
    held.release();
    expect(refused).toMatchObject({
      code: 1,
      err: expect.stringMatching(/run drop-me is being run by process/),
    });

    const rm = await cli(dir, ['runs', 'rm', 'drop-me']);
    expect(rm.code, rm.err).toBe(0);
    expect(rm.out).toMatch(/^removed run drop-me: \d+ ledger rows, 2 file\(s\)/);
    expect(drop.files.some((f) => existsSync(f.path))).toBe(false);
    const ledger = Ledger.open(join(dir, '.orrery', 'ledger.db'));
    try {
      expect(ledger.listRuns().map((r) => r.id)).toEqual(['keep-me']);
      expect(ledger.cycles('drop-me')).toEqual([]);
      expect(ledger.equityCurve('keep-me')).toHaveLength(40);
    } finally {
      ledger.close();
    }
    expect((await cli(dir, ['runs', 'show', 'drop-me'])).err).toMatch(/run drop-me: is not in the ledger/);
  }, 120_000);
});

describe('orrery run without a network', () => {
  it('says each failed attempt and when it tries again; Ctrl-C before any bar exits non-zero and marks the run stopped', async () => {
    const dir = workDir();
    const closed = await freePort();
    writeFileSync(
      join(dir, 'orrery.yaml'),
      'memory: false\nrun:\n  live:\n    retryBaseMs: 50\n    retryMaxMs: 200\n',
    );
    const child = startOrrery(dir, [
      'run',
      '--api-url',
      `http://127.0.0.1:${closed}/api/v3`,
      '--run-id',
      'offline',
    ]);
    let stderr = '';
    const attempts = new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/attempt 3 failed/.test(stderr)) resolve();
      });
    });
    await attempts;
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    expect(stderr).toMatch(
      /live feed: attempt 1 failed \(.*ECONNREFUSED.*\); next try at \d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC \(in 0\.1 s; Ctrl-C to stop\)/,
    );
    expect(stderr).toMatch(/attempt 3 failed .*\(in 0\.2 s/); // doubled, then bounded by retryMaxMs
    expect(stderr).toContain('error: run offline stopped before any bar arrived; nothing traded');
    expect(stderr).not.toMatch(/\n\s+at /);
    const ledger = Ledger.open(join(dir, '.orrery', 'ledger.db'));
    try {
      expect(ledger.getRun('offline')!.status).toBe('stopped');
    } finally {
      ledger.close();
    }
    expect(existsSync(join(dir, '.orrery', 'reports', 'offline.html'))).toBe(false);
  }, 120_000);
});
