import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runPaper } from '../src/session/paper-run.ts';

/**
 * One JSON answer that satisfies every schema the agents ask for (planet, sun turn, critic, sentiment):
 * their zod objects ignore the keys they do not know, so the test does not depend on prompt wording.
 */
const ANSWER = {
  plan: ['read the moons'],
  signal: 0.6,
  confidence: 0.7,
  reasons: ['loopback model'],
  type: 'decision',
  forecast: 0.9,
  rationale: 'loopback sun',
  verdict: 'approve',
  scale: 1,
  summary: 'nothing',
  sentiment: 0,
  // the sun's fragility card
  fragility: 0.3,
  drivers: ['loopback'],
  watch: 'nothing',
};

describe('orrery paper with a reachable LLM (loopback OpenAI-compatible server)', () => {
  const dir = tempDir('orrery-paper-llm-');
  let llm: LlmServer;
  beforeAll(async () => {
    llm = await startLlmServer({ respond: () => ({ json: ANSWER }) });
  });
  afterAll(async () => {
    await llm.close();
    dir.remove();
  });

  it('calls the models through the gateway and counts calls, tokens and cost in the summary', async () => {
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
    const loaded = parseConfig(
      {
        memory: false,
        gateway: { routing: { localBaseUrl: `${llm.url}/v1` } },
        run: {
          ledgerPath: join(dir.path, 'l.db'),
          gatewayDbPath: join(dir.path, 'g.db'),
          reportPath: join(dir.path, 'r.html'),
        },
      },
      { source: 'test', baseDir: dir.path, env: io.env },
    );
    const res = await runPaper(
      {
        loaded,
        data: { source: 'btc' },
        from: '2020-01-01',
        to: '2020-06-30',
        runId: 'llm',
        progress: false,
      },
      io,
    );
    expect(err.join('\n')).not.toContain('no reachable LLM');
    const u = res.outcome.usage;
    expect(u.cycles).toBe(182);
    // Every provider request the server saw is a call the run counted, and only those.
    expect(u.llmCalls).toBe(llm.requests.length);
    expect(u.llmCalls).toBeGreaterThan(0);
    expect(llm.requests.every((r) => r.headers.authorization === 'Bearer sk-loopback')).toBe(true);
    expect(u.tokensIn).toBeGreaterThan(0);
    expect(u.costUsd).toBeGreaterThan(0);
    // Most cycles still make no call at all: that is the point.
    expect(u.modeCounts.MONITOR_ONLY).toBeGreaterThan(u.cycles / 2);
    expect(u.modeCounts.LIGHT_REASONING! + u.modeCounts.FULL_AGENT!).toBeGreaterThan(0);
    // Calls avoided: monitor-only cycles without a call, reasoning cycles where a planet had nothing to ask,
    // and the gateway's cache hits — counted here from the ledgers themselves.
    const gw = new Database(join(dir.path, 'g.db'), { readonly: true });
    const hits = (
      gw.prepare("SELECT count(*) n FROM ledger WHERE outcome = 'cache_hit'").get() as { n: number }
    ).n;
    gw.close();
    const stored = Ledger.open(join(dir.path, 'l.db'));
    const records = stored.cycles('llm').map(
      (c) =>
        c.record as {
          mode: string;
          calls: number;
          planets: { llm?: { outcome: string; detail?: string } }[];
        },
    );
    stored.close();
    const monitor = records.filter((c) => c.mode === 'MONITOR_ONLY' && c.calls === 0).length;
    const partial = records.filter(
      (c) =>
        c.mode !== 'MONITOR_ONLY' &&
        c.planets.some((p) => p.llm?.outcome === 'skipped' && p.llm.detail === 'nothing to ask'),
    ).length;
    expect(monitor).toBeGreaterThan(0);
    expect(res.outcome.scoreboard.callsAvoided).toEqual({
      total: monitor + partial + hits,
      monitorCycles: monitor,
      partialCycles: partial,
      cacheHits: hits,
      llmReachable: true,
    });
    expect(res.outcome.callsAvoided).toBe(monitor + partial + hits);
    // LLM spend over time ends at the run's totals.
    expect(res.outcome.scoreboard.spend.at(-1)).toMatchObject({ calls: u.llmCalls });
    expect(res.outcome.scoreboard.spend.at(-1)!.costUsd).toBeCloseTo(u.costUsd, 10);
    const summary = out.join('\n');
    expect(summary).toMatch(new RegExp(`LLM calls\\s+${u.llmCalls}\\n`));
    expect(summary).toContain(`Tokens (in / out)     ${u.tokensIn} / ${u.tokensOut}`);

    const ledger = Ledger.open(join(dir.path, 'l.db'));
    try {
      const sources = new Set(
        ledger.cycles('llm').map((c) => (c.record as { decision: { source: string } }).decision.source),
      );
      expect([...sources].some((s) => s !== 'consensus' && s !== 'monitor')).toBe(true);
    } finally {
      ledger.close();
    }
  }, 300_000);
  it('a resumed run replays its past bars without a single LLM call', async () => {
    const ctl = new AbortController();
    let answered = 0;
    llm.setDefault(() => {
      if (++answered === 60) ctl.abort(); // stop the run part-way, like Ctrl-C
      return { json: ANSWER };
    });
    llm.reset();
    const env = { OPENAI_API_KEY: 'sk-loopback', OPENAI_BASE_URL: `${llm.url}/v1` };
    const io = (signal: AbortSignal): CliIO => ({
      out: () => undefined,
      err: () => undefined,
      env,
      cwd: dir.path,
      isTTY: false,
      signal,
    });
    const loaded = parseConfig(
      {
        memory: false,
        run: {
          ledgerPath: join(dir.path, 'resume.db'),
          gatewayDbPath: join(dir.path, 'resume-g.db'),
          reportPath: join(dir.path, 'resume.html'),
        },
      },
      { source: 'test', baseDir: dir.path, env },
    );
    const opts = {
      loaded,
      data: { source: 'btc' },
      from: '2020-01-01',
      to: '2020-06-30',
      runId: 'rr',
      progress: false,
    };
    const first = await runPaper(opts, io(ctl.signal));
    expect(first.stopped).toBe(true);
    const callsBefore = llm.requests.length;
    const ledger = Ledger.open(join(dir.path, 'resume.db'));
    const stoppedAt = ledger.getRun('rr')!.lastTime!;
    ledger.close();

    const second = await runPaper({ ...opts, resume: true }, io(new AbortController().signal));
    expect(second.stopped).toBe(false);
    expect(second.warmed).toBeGreaterThan(0);
    const after = Ledger.open(join(dir.path, 'resume.db'));
    try {
      const resumedCalls = after
        .cycles('rr')
        .filter((c) => c.time > stoppedAt)
        .reduce((n, c) => n + (c.record as { calls: number }).calls, 0);
      expect(resumedCalls).toBeGreaterThan(0);
      // Every request of the second invocation belongs to a bar after the stop: the replay spent nothing.
      expect(llm.requests.length - callsBefore).toBe(resumedCalls);
      expect(after.cycles('rr')).toHaveLength(182);
    } finally {
      after.close();
    }
  }, 300_000);
});
