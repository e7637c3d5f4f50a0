import { createHash } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LlmRecordedRequest, type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import type { CliIO } from '../src/commands/io.ts';
import { lockRun } from '../src/runs/run-lock.ts';

/** Satisfies every schema the agents ask for, varying with the prompt. */
function varied(req: LlmRecordedRequest) {
  const h = createHash('sha256').update(JSON.stringify(req.body)).digest();
  const u = (i: number) => (h[i] as number) / 255;
  return {
    json: {
      plan: ['read the moons'],
      signal: 2 * u(0) - 1,
      confidence: u(1),
      reasons: ['r'],
      summary: 's',
      sentiment: 0,
      fragility: u(4),
      drivers: ['d'],
      watch: 'w',
      type: 'decision',
      forecast: (u(2) < 0.6 ? 1 : -1) * u(3),
      rationale: 'x',
      verdict: 'approve',
      scale: 1,
    },
  };
}

/** Every SQLite file under `dir`, recursively. */
function dbFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...dbFiles(p));
    else if (e.name.endsWith('.db')) out.push(p);
  }
  return out;
}

/**
 * Rows that belong to `runId` in every table of every database file under `dir`, by `file:table`: a
 * `run_id` or learning `scope` column equal to the run, the run's own `runs` row, prompt experiments
 * named `<run>:…`, and gateway cache entries whose key one of the run's recordings owned. Tables with no
 * run-keyed column are listed with `null` (their rows belong to no run).
 */
function rowsOf(dir: string, runId: string): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const file of dbFiles(dir)) {
    const db = new Database(file, { readonly: true });
    try {
      const tables = (
        db
          .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
          .all() as {
          name: string;
        }[]
      ).map((t) => t.name);
      const cacheKeys = tables.includes('llm_recordings')
        ? (
            db
              .prepare('SELECT cache_key FROM llm_recordings WHERE run_id = ? AND cache_key IS NOT NULL')
              .all(runId) as { cache_key: string }[]
          ).map((r) => r.cache_key)
        : [];
      for (const t of tables) {
        const cols = (db.prepare(`PRAGMA table_info("${t}")`).all() as { name: string }[]).map((c) => c.name);
        const where = (sql: string, ...args: unknown[]) =>
          (db.prepare(`SELECT count(*) AS n FROM "${t}" WHERE ${sql}`).get(...args) as { n: number }).n;
        const name = `${file.slice(dir.length + 1)}:${t}`;
        if (cols.includes('run_id')) out[name] = where('run_id = ?', runId);
        else if (cols.includes('scope')) out[name] = where('scope = ?', runId);
        else if (cols.includes('prompt_id'))
          out[name] = where('substr(prompt_id, 1, ?) = ?', runId.length + 1, `${runId}:`);
        else if (t === 'runs') out[name] = where('id = ?', runId);
        else if (t === 'cache')
          out[name] =
            cacheKeys.length === 0
              ? 0
              : where(`key IN (${cacheKeys.map(() => '?').join(',')})`, ...cacheKeys);
        else out[name] = null;
      }
    } finally {
      db.close();
    }
  }
  return out;
}

const total = (rows: Record<string, number | null>, file?: string) =>
  Object.entries(rows)
    .filter(([k]) => file === undefined || k.startsWith(file))
    .reduce((n, [, v]) => n + (v ?? 0), 0);

describe('orrery runs rm removes everything of the run, in every database (issue 18)', () => {
  const dir = tempDir('orrery-runs-rm-');
  let llm: LlmServer;
  beforeAll(async () => {
    llm = await startLlmServer({ respond: varied });
    writeFileSync(
      join(dir.path, 'orrery.yaml'),
      [
        'memory:',
        '  dbPath: .orrery/memory/{runId}/episodes.db',
        "  chroma: { mode: 'off' }",
        'gateway:',
        '  routing:',
        `    localBaseUrl: ${llm.url}/v1`,
        '  budget: { maxCallsPerHour: 1000000, maxTokensPerHour: 1000000000 }',
        'learning:',
        '  prompts:',
        "    'sun.system':",
        "      - { id: control, text: '' }",
        "      - { id: bold, text: 'Act on strong signals.' }",
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await llm.close();
    dir.remove();
  });

  async function cli(args: readonly string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      env: { OPENAI_API_KEY: 'sk-loopback', OPENAI_BASE_URL: `${llm.url}/v1` },
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const code = await main(['node', 'orrery', ...args], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('ledger rows, LLM recordings, answer-cache entries, learning rows and files of the run go; another run stays', async () => {
    for (const id of ['keep-me', 'drop-me']) {
      const r = await cli([
        'paper',
        '--data',
        'btc',
        '--from',
        '2020-01-01',
        '--to',
        '2020-04-30',
        '--run-id',
        id,
      ]);
      expect(r.code, r.err).toBe(0);
    }
    const orrery = join(dir.path, '.orrery');
    const before = rowsOf(orrery, 'drop-me');
    const kept = rowsOf(orrery, 'keep-me');
    // The run left rows in each shared database: the ledger, the gateway's (recordings and cache), learning.
    expect(total(before, 'ledger.db')).toBeGreaterThan(100);
    expect(before['gateway.db:llm_recordings']).toBeGreaterThan(20);
    expect(before['gateway.db:cache']).toBeGreaterThan(0);
    expect(before['learning.db:learning_evidence']).toBeGreaterThan(0);
    expect(before['learning.db:prompt_variants']).toBe(2);
    expect(existsSync(join(orrery, 'memory', 'drop-me'))).toBe(true);

    // A process holding the run (running or resuming it) makes removal refuse, and nothing is removed.
    const held = lockRun(join(orrery, 'ledger.db'), 'drop-me');
    const refused = await cli(['runs', 'rm', 'drop-me']);
    held.release();
    expect(refused).toMatchObject({
      code: 1,
      err: expect.stringMatching(/run drop-me is being run by process/),
    });
    expect(rowsOf(orrery, 'drop-me')).toEqual(before);

    const rm = await cli(['runs', 'rm', 'drop-me']);
    expect(rm.code, rm.err).toBe(0);
    expect(rm.out).toMatch(
      new RegExp(
        `^removed run drop-me: ${total(before, 'ledger.db')} ledger rows, 2 file\\(s\\), .*; ` +
          `${before['gateway.db:llm_recordings']} LLM recordings, ${before['gateway.db:cache']} answer-cache entries, ` +
          `${total(before, 'learning.db')} learning rows$`,
      ),
    );
    const after = rowsOf(orrery, 'drop-me');
    for (const [table, n] of Object.entries(after)) expect(n ?? 0, table).toBe(0);
    expect(existsSync(join(orrery, 'memory', 'drop-me'))).toBe(false);
    // The other run is untouched, row for row.
    const {
      'memory/drop-me/episodes.db:episodes': _,
      'memory/drop-me/episodes.db:meta': __,
      ...keptTables
    } = kept;
    expect(rowsOf(orrery, 'keep-me')).toEqual(keptTables);
    // and it still replays from its recordings
    await llm.close();
    const replay = await cli([
      'paper',
      '--data',
      'btc',
      '--from',
      '2020-01-01',
      '--to',
      '2020-04-30',
      '--replay',
      'keep-me',
      '--run-id',
      'again',
    ]);
    expect(replay.code, replay.err).toBe(0);
    expect(replay.out).toMatch(/Replay of keep-me: identical decisions/);
  }, 300_000);
});
