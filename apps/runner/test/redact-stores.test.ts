import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EpisodicMemory } from '@orrery/memory';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runPaper } from '../src/session/paper-run.ts';

const KEY = 'sk-orrery-redact-test-0a1b2c3d4e5f6a7b';
const SHAPED = 'sk-proj-SomeoneElsesKey1234567890abcdef';
/** Satisfies every schema the agents ask for; every text echoes the configured key and a key-shaped one. */
const ANSWER = {
  plan: [`use ${KEY}`],
  signal: 0.6,
  confidence: 0.7,
  reasons: [`my key is ${KEY}`, `also ${SHAPED}`],
  type: 'decision',
  action: 'buy',
  targetFraction: 0.15,
  rationale: `bought with ${KEY} and ${SHAPED}`,
  verdict: 'approve',
  scale: 1,
  summary: `summary ${KEY}`,
  sentiment: 0,
};

describe('secrets a model echoes are redacted in what the run stores (issue 18)', () => {
  const dir = tempDir('orrery-redact-');
  let llm: LlmServer;
  beforeAll(async () => {
    llm = await startLlmServer({ respond: () => ({ json: ANSWER }) });
  });
  afterAll(async () => {
    await llm.close();
    dir.remove();
  });

  it('cycle records, LLM audit recordings and memory episodes hold no key', async () => {
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${llm.url}/v1` };
    const io: CliIO = {
      out: () => undefined,
      err: () => undefined,
      env,
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const memoryDb = join(dir.path, 'memory.db');
    const loaded = parseConfig(
      {
        memory: { dbPath: memoryDb, chroma: { mode: 'off' } },
        gateway: { routing: { localBaseUrl: `${llm.url}/v1` } },
        run: {
          ledgerPath: join(dir.path, 'l.db'),
          gatewayDbPath: join(dir.path, 'g.db'),
          reportPath: join(dir.path, 'r.html'),
        },
      },
      { source: 'test', baseDir: dir.path, env },
    );
    const res = await runPaper(
      {
        loaded,
        data: { source: 'btc' },
        from: '2020-01-01',
        to: '2020-03-31',
        runId: 'redact',
        progress: false,
      },
      io,
    );
    expect(res.outcome.usage.llmCalls).toBeGreaterThan(0);

    const ledger = new Database(join(dir.path, 'l.db'), { readonly: true });
    const memory = await EpisodicMemory.open({ dbPath: memoryDb, chroma: { mode: 'off' } });
    try {
      const cycles = ledger.prepare("SELECT record FROM cycles WHERE run_id = 'redact'").all() as {
        record: string;
      }[];
      const all = cycles.map((c) => c.record).join('\n');
      expect(all).toContain('[redacted]'); // the answers' texts reached the records…
      expect(all).not.toContain(KEY); // …without the keys
      expect(all).not.toContain(SHAPED);
      const tables = (
        ledger.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
      ).map((t) => t.name);
      for (const t of tables) {
        const rows = JSON.stringify(ledger.prepare(`SELECT * FROM "${t}"`).all());
        expect(rows.includes(KEY), `ledger table ${t}`).toBe(false);
      }
      const episodes = memory.pendingOutcomes(Number.MAX_SAFE_INTEGER, 100_000);
      expect(episodes.length).toBeGreaterThan(0);
      const text = JSON.stringify(episodes);
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(SHAPED);
      expect(readFileSync(memoryDb).includes(KEY)).toBe(false);
    } finally {
      ledger.close();
      await memory.close();
    }
  }, 300_000);
});
