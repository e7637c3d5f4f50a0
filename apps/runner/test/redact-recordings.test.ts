import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { type LlmRecordedRequest, type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { type PaperOptions, runPaper } from '../src/session/paper-run.ts';

const KEY = 'sk-orrery-recording-test-9f8e7d6c5b4a3f2e';
const SHAPED = 'sk-proj-SomeoneElsesKey1234567890abcdef';
const DAY = 86_400_000;

/**
 * An answer for every schema the agents ask for that echoes both keys in its texts and varies with the
 * prompt (so an answer replayed to the wrong request would change the decisions).
 */
function echoing(req: LlmRecordedRequest) {
  const h = createHash('sha256').update(JSON.stringify(req.body)).digest();
  const u = (i: number) => (h[i] as number) / 255;
  return {
    json: {
      plan: [`use ${KEY}`],
      signal: 2 * u(0) - 1,
      confidence: u(1),
      reasons: [`my key is ${KEY}`, `also ${SHAPED}`],
      summary: `summary ${KEY}`,
      sentiment: 2 * u(3) - 1,
      fragility: u(10),
      drivers: [`driver ${SHAPED}`],
      watch: 'w',
      type: 'decision',
      forecast: u(5) < 0.6 ? u(6) : -u(6),
      rationale: `bought with ${KEY} and ${SHAPED}`,
      verdict: u(8) < 0.7 ? 'approve' : 'reduce',
      scale: u(9),
    },
  };
}

/** Every byte SQLite keeps for the file at `path`: the database, its WAL and shared-memory files. */
function rawBytes(path: string): Buffer {
  return Buffer.concat(
    [path, `${path}-wal`, `${path}-shm`].filter((p) => existsSync(p)).map((p) => readFileSync(p)),
  );
}

describe('LLM recordings of a paper run hold no secret, and its replay still matches (issue 18)', () => {
  const dir = tempDir('orrery-redact-rec-');
  let llm: LlmServer;
  const env = (): Record<string, string> => ({ OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${llm.url}/v1` });
  beforeAll(async () => {
    llm = await startLlmServer({ respond: echoing });
    // News carrying the key reaches the sentiment planet's prompt.
    const t0 = Date.UTC(2020, 0, 1, 12);
    const news = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ time: t0 + i * 3 * DAY, text: `Exchange leaks credentials ${KEY}; markets fall` }),
    );
    writeFileSync(join(dir.path, 'news.jsonl'), news.join('\n'));
  });
  afterAll(async () => {
    await llm.close();
    dir.remove();
  });

  const io = (): CliIO => ({
    out: () => undefined,
    err: () => undefined,
    env: env(),
    cwd: dir.path,
    isTTY: false,
    signal: new AbortController().signal,
  });
  const options = (runId: string, replay?: string): PaperOptions => ({
    loaded: parseConfig(
      {
        memory: false,
        gateway: {
          routing: { localBaseUrl: `${llm.url}/v1` },
          budget: { maxCallsPerHour: 1_000_000, maxTokensPerHour: 1_000_000_000 },
        },
        run: {
          ledgerPath: join(dir.path, 'ledger.db'),
          gatewayDbPath: join(dir.path, 'gateway.db'),
          reportPath: join(dir.path, '{runId}.html'),
          news: { file: join(dir.path, 'news.jsonl'), lookbackMs: 3 * DAY },
        },
        learning: { dbPath: join(dir.path, 'learning.db') },
      },
      { source: 'test', baseDir: dir.path, env: env() },
    ),
    data: { source: 'btc' },
    from: '2020-01-01',
    to: '2020-03-31',
    runId,
    progress: false,
    ...(replay === undefined ? {} : { replay }),
  });

  it('gateway.db and its WAL never hold a key; the replay gets the recorded answers and decides the same', async () => {
    const recorded = await runPaper(options('rec'), io());
    expect(recorded.outcome.usage.llmCalls).toBeGreaterThan(20);
    // the premise: prompts carried the key (the news), answers echoed it
    const bodies = llm.requests.map((r) => JSON.stringify(r.body));
    expect(bodies.some((b) => b.includes(KEY))).toBe(true);
    const calls = llm.requests.length;

    const bytes = rawBytes(join(dir.path, 'gateway.db'));
    expect(bytes.includes('[redacted]')).toBe(true); // prompts and answers are recorded…
    expect(bytes.includes(KEY)).toBe(false); // …without the key
    expect(bytes.includes(SHAPED)).toBe(false);

    await llm.close();
    const replay = await runPaper(options('rep', 'rec'), io());
    expect(llm.requests.length).toBe(calls); // nothing reached the (closed) server
    expect(replay.replay).toMatchObject({ sameDecisions: true, sameFills: true });
    const ledger = Ledger.open(join(dir.path, 'ledger.db'));
    try {
      const decisions = (run: string) =>
        ledger.cycles(run).map((c) => {
          const r = c.record as { decision: unknown; mode: string };
          return [c.symbol, c.time, r.mode, r.decision];
        });
      expect(decisions('rep').length).toBeGreaterThan(80);
      expect(decisions('rep')).toEqual(decisions('rec'));
    } finally {
      ledger.close();
    }
    expect(rawBytes(join(dir.path, 'gateway.db')).includes(KEY)).toBe(false);
  }, 300_000);
});
