import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Learner } from '@orrery/agents';
import { Ledger } from '@orrery/broker';
import { type LlmRecordedRequest, type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { type PaperOptions, runPaper } from '../src/session/paper-run.ts';

/**
 * An answer that satisfies every schema the agents ask for (planet, sentiment, sun turn, sun notes, critic) and
 * varies with the prompt, so that an answer replayed to the wrong request would change the decisions.
 */
function varied(req: LlmRecordedRequest) {
  const h = createHash('sha256').update(JSON.stringify(req.body)).digest();
  const u = (i: number) => (h[i] as number) / 255;
  return {
    json: {
      plan: ['read the moons'],
      signal: 2 * u(0) - 1,
      confidence: u(1),
      reasons: [`r${h[2]}`],
      summary: 's',
      sentiment: 2 * u(3) - 1,
      fragility: u(10),
      drivers: [`d${h[11]}`],
      watch: 'w',
      ...(u(4) < 0.2
        ? { type: 'tool', tool: 'read_patterns' }
        : { type: 'decision', forecast: u(5) < 0.6 ? u(6) : -u(6) }),
      rationale: `because ${h[7]}`,
      verdict: u(8) < 0.7 ? 'approve' : 'reduce',
      scale: u(9),
    },
  };
}

interface Harness {
  readonly dir: string;
  llm: LlmServer;
  readonly env: Record<string, string>;
}

const quiet = (
  h: Harness,
  out: string[] = [],
  err: string[] = [],
  signal = new AbortController().signal,
): CliIO => ({
  out: (t) => out.push(t),
  err: (t) => err.push(t),
  env: h.env,
  cwd: h.dir,
  isTTY: false,
  signal,
});

function options(h: Harness, runId: string, extra: Partial<PaperOptions> = {}): PaperOptions {
  const loaded = parseConfig(
    {
      memory: false,
      gateway: { budget: { maxCallsPerHour: 1_000_000, maxTokensPerHour: 1_000_000_000 } },
      run: {
        ledgerPath: join(h.dir, 'ledger.db'),
        gatewayDbPath: join(h.dir, 'gateway.db'),
        reportPath: join(h.dir, '{runId}.html'),
      },
    },
    { source: 'test', baseDir: h.dir, env: h.env },
  );
  return {
    loaded,
    data: { source: 'btc' },
    from: '2020-01-01',
    to: '2020-06-30',
    runId,
    progress: false,
    ...extra,
  };
}

const decisions = (ledger: Ledger, run: string) =>
  ledger.cycles(run).map((c) => {
    const r = c.record as { decision: unknown; consensusDecision: unknown; mode: string };
    return [c.symbol, c.time, r.mode, r.decision, r.consensusDecision];
  });
const fills = (ledger: Ledger, run: string) =>
  ledger.fills(run).map(({ id, ...f }) => ({ ...f, id: id.slice(run.length) }));

function gatewayLedgerRows(h: Harness): number {
  const db = new Database(join(h.dir, 'gateway.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM ledger').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('orrery paper --replay: a recorded run again, from its recordings alone', () => {
  const dir = tempDir('orrery-replay-');
  const h = { dir: dir.path } as Harness;
  beforeAll(async () => {
    h.llm = await startLlmServer({ respond: varied });
    (h as { env: Record<string, string> }).env = {
      OPENAI_API_KEY: 'sk-loopback',
      OPENAI_BASE_URL: `${h.llm.url}/v1`,
    };
  });
  afterAll(async () => {
    await h.llm.close();
    dir.remove();
  });

  it('reproduces the decisions and fills bit for bit with the LLM server closed, at $0', async () => {
    const recorded = await runPaper(options(h, 'rec'), quiet(h));
    const calls = h.llm.requests.length;
    expect(calls).toBeGreaterThan(20);
    expect(recorded.outcome.usage.llmCalls).toBe(calls);
    const { roi } = recorded.roi!;
    expect(roi.llmCostUsd).toBeGreaterThan(0);
    expect(roi.llmInfluenced).toBeGreaterThan(0);
    expect(roi.pnlPerLlmDollar).toBeCloseTo(roi.llmPnl / roi.llmCostUsd, 6);
    const rowsBefore = gatewayLedgerRows(h);
    await h.llm.close();

    const out: string[] = [];
    const err: string[] = [];
    const replay = await runPaper(options(h, 'rep', { replay: 'rec' }), quiet(h, out, err));
    expect(err.join('\n')).not.toMatch(/no reachable LLM|differs/);
    expect(h.llm.requests.length).toBe(calls); // not one request reached the (closed) server
    expect(gatewayLedgerRows(h)).toBe(rowsBefore); // and the gateway's ledger saw no new call
    expect(replay.replay).toMatchObject({ sameDecisions: true, sameFills: true, cycles: 182 });
    expect(out.join('\n')).toContain('Replay of rec: identical decisions (182 cycles)');
    const ledger = Ledger.open(join(h.dir, 'ledger.db'));
    try {
      expect(decisions(ledger, 'rep')).toEqual(decisions(ledger, 'rec'));
      expect(fills(ledger, 'rep')).toEqual(fills(ledger, 'rec'));
      expect(fills(ledger, 'rec').length).toBeGreaterThan(0);
      expect(ledger.equityCurve('rep')).toEqual(ledger.equityCurve('rec'));
    } finally {
      ledger.close();
    }
    // The learning loop ran in both and made the same changes at the same market times.
    const changes = (run: string) => {
      const learner = Learner.open({ path: join(h.dir, '.orrery', 'learning.db'), scope: run });
      try {
        return learner.changes().map((c) => [c.at, c.parameter, c.old, c.new]);
      } finally {
        learner.close();
      }
    };
    expect(changes('rec').length).toBeGreaterThan(0);
    expect(changes('rep')).toEqual(changes('rec'));
    // Nothing was spent, so P&L per LLM dollar is n/a; the P&L the LLM made is the same.
    expect(replay.outcome.usage).toMatchObject({ llmCalls: 0, costUsd: 0 });
    expect(replay.roi?.roi).toMatchObject({ llmCostUsd: 0, pnlPerLlmDollar: null, llmPnl: roi.llmPnl });
    expect(out.join('\n')).toMatch(/P&L per LLM dollar\s+n\/a/);
    const html = readFileSync(replay.reportPath, 'utf8');
    expect(html).toContain('replay of rec:');
    expect(html).toContain('LLM P&#38;L vs consensus');
  }, 300_000);

  it('reports a missing recording as a failed call in the cycle, never an invented answer', async () => {
    // Remove one planet's recorded answer from the middle of the run.
    const db = new Database(join(h.dir, 'gateway.db'));
    const victim = db
      .prepare(
        "SELECT seq, agent FROM llm_recordings WHERE run_id = 'rec' AND kind = 'call' AND agent LIKE 'planet:%' ORDER BY seq LIMIT 1 OFFSET 5",
      )
      .get() as { seq: number; agent: string };
    db.prepare("DELETE FROM llm_recordings WHERE run_id = 'rec' AND seq = ?").run(victim.seq);
    db.close();

    const err: string[] = [];
    const res = await runPaper(options(h, 'gap', { replay: 'rec' }), quiet(h, [], err));
    expect(res.outcome.usage.cycles).toBe(182);
    const html = readFileSync(res.reportPath, 'utf8');
    expect(html).toMatch(/\d+ LLM request\(s\) had no recording and failed/);
    const ledger = Ledger.open(join(h.dir, 'ledger.db'));
    try {
      const missing = ledger
        .cycles('gap')
        .flatMap(
          (c) =>
            (c.record as { planets: { planet: string; llm?: { code?: string; outcome: string } }[] }).planets,
        )
        .filter((p) => p.llm?.code === 'ORRERY_LLM_RECORDING_MISSING');
      expect(missing.length).toBeGreaterThanOrEqual(1);
      expect(`planet:${missing[0]!.planet}`).toBe(victim.agent);
      expect(missing[0]!.llm!.outcome).not.toBe('answered');
    } finally {
      ledger.close();
    }
  }, 300_000);

  it('refuses to replay a run without recordings, or on other data', async () => {
    await expect(runPaper(options(h, 'x1', { replay: 'nope' }), quiet(h))).rejects.toThrow(
      'run nope: is not in the ledger; nothing to replay',
    );
    await expect(runPaper(options(h, 'x2', { replay: 'rec', to: '2020-05-31' }), quiet(h))).rejects.toThrow(
      /run rec: was run on other data or another range/,
    );
    await expect(runPaper(options(h, 'rec', { replay: 'rec', resume: true }), quiet(h))).rejects.toThrow(
      '--replay starts a new run; it cannot be combined with --resume',
    );
  });
});

describe('a resumed run with recordings', () => {
  const dir = tempDir('orrery-resume-rec-');
  const h = { dir: dir.path } as Harness;
  beforeAll(async () => {
    h.llm = await startLlmServer({ respond: varied });
    (h as { env: Record<string, string> }).env = {
      OPENAI_API_KEY: 'sk-loopback',
      OPENAI_BASE_URL: `${h.llm.url}/v1`,
    };
  });
  afterAll(async () => {
    await h.llm.close();
    dir.remove();
  });

  it('warms up on its recorded answers and ends identical to an uninterrupted run', async () => {
    await runPaper(options(h, 'straight'), quiet(h));
    const ctl = new AbortController();
    let answered = 0;
    h.llm.setDefault((req) => {
      if (++answered === 40) ctl.abort(); // stop part-way, like Ctrl-C
      return varied(req);
    });
    const first = await runPaper(options(h, 'stopped'), quiet(h, [], [], ctl.signal));
    expect(first.stopped).toBe(true);
    const peek = Ledger.open(join(h.dir, 'ledger.db'));
    const stoppedAt = peek.getRun('stopped')!.lastTime!;
    peek.close();
    const before = h.llm.requests.length;
    const second = await runPaper(options(h, 'stopped', { resume: true }), quiet(h));
    expect(second.warmed).toBeGreaterThan(0);
    const ledger = Ledger.open(join(h.dir, 'ledger.db'));
    try {
      expect(decisions(ledger, 'stopped')).toEqual(decisions(ledger, 'straight'));
      expect(fills(ledger, 'stopped')).toEqual(fills(ledger, 'straight'));
      expect(ledger.cycles('stopped')).toHaveLength(182);
      // The warm-up spent nothing: every request of the second invocation is a call of a later bar.
      const resumedCalls = ledger
        .cycles('stopped')
        .filter((c) => c.time > stoppedAt)
        .reduce((n, c) => n + (c.record as { calls: number }).calls, 0);
      expect(h.llm.requests.length - before).toBe(resumedCalls);
    } finally {
      ledger.close();
    }
    // The whole run replays from its recordings (both invocations).
    await h.llm.close();
    const replay = await runPaper(options(h, 'again', { replay: 'stopped' }), quiet(h));
    expect(replay.replay).toMatchObject({ sameDecisions: true, sameFills: true });
  }, 300_000);
});
