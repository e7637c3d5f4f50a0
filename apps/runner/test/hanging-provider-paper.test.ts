import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runPaper } from '../src/session/paper-run.ts';

/**
 * Issue 17 item 5, on the user's path: `orrery paper` with the default routing against a provider that
 * never answers. Before, one FULL_AGENT cycle waited the planet timeout, then the sun's 30 s, then the
 * backup sun's 30 s on the same model (70 s). Now the first timeout opens the model's breaker, so the sun
 * and its backup are refused without a request: one planet timeout (the planets wait in parallel) per cycle.
 */
describe('a hanging provider costs at most one timeout per cycle (orrery paper, default routing)', () => {
  const dir = tempDir('orrery-hanging-');
  let llm: LlmServer;
  beforeAll(async () => {
    llm = await startLlmServer({ respond: () => ({ delayMs: 600_000, text: 'never' }) });
  });
  afterAll(async () => {
    await llm.close();
    dir.remove();
  });

  it('only the planets of a cycle ever wait on it; the sun and its backup never call it again', async () => {
    const err: string[] = [];
    const env = { OPENAI_API_KEY: 'sk-loopback', OPENAI_BASE_URL: `${llm.url}/v1` };
    const io: CliIO = {
      out: () => {},
      err: (t) => void err.push(t),
      env,
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const loaded = parseConfig(
      {
        memory: false,
        learning: false,
        gateway: { routing: { localBaseUrl: `${llm.url}/v1` } },
        agents: { mode: { minChangedForLight: 0 }, planetTimeoutMs: 300 },
        run: {
          ledgerPath: join(dir.path, 'l.db'),
          gatewayDbPath: join(dir.path, 'g.db'),
          reportPath: join(dir.path, 'r.html'),
        },
      },
      { source: 'test', baseDir: dir.path, env },
    );
    await runPaper(
      {
        loaded,
        data: { source: 'btc' },
        from: '2020-01-01',
        to: '2020-01-31',
        runId: 'hang',
        progress: false,
      },
      io,
    );
    const gw = new Database(join(dir.path, 'g.db'), { readonly: true });
    const rows = gw.prepare('SELECT at_ms, task, outcome, code FROM ledger ORDER BY id').all() as {
      at_ms: number;
      task: string;
      outcome: string;
      code: string | null;
    }[];
    gw.close();
    const ledger = Ledger.open(join(dir.path, 'l.db'));
    const cycles = ledger.cycles('hang').map((c) => c.record as { mode: string });
    ledger.close();
    const reasoning = cycles.filter((c) => c.mode !== 'MONITOR_ONLY').length;
    const timeouts = rows.filter((r) => r.code === 'ORRERY_LLM_TIMEOUT');
    const shown = `${JSON.stringify(rows.slice(0, 12).map((r) => [r.task, r.outcome, r.code]))}\n${err.join('\n')}`;
    // The planets waited on it (a timeout row whether or not the request got there first)…
    expect(timeouts.length, shown).toBeGreaterThan(0);
    expect(llm.requests.length).toBeLessThanOrEqual(timeouts.length);
    // …and only the planets, which wait in parallel: no sun or backup sun call ever timed out.
    expect(new Set(timeouts.map((r) => r.task)), shown).toEqual(new Set(['planet_analysis']));
    expect(rows.filter((r) => r.task.startsWith('sun_reasoning') && r.outcome !== 'refused')).toEqual([]);
    // The first timeout opened the breaker: later cycles are refused at once instead of waiting again
    // (under a slow machine a half-open probe may wait once more; it is one request, in one cycle).
    expect(rows.filter((r) => r.code === 'ORRERY_LLM_COOLING_DOWN').length).toBeGreaterThan(timeouts.length);
    // figures for issue 17's closing note
    err.push(
      `hanging: ${reasoning} reasoning cycles, ${timeouts.length} timeouts (${llm.requests.length} requests) `,
    );
    console.log(err.at(-1));
  }, 300_000);
});
