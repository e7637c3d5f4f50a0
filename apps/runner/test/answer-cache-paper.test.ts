import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runPaper } from '../src/session/paper-run.ts';

/** One JSON answer for every schema the agents ask for (planets, sentiment, sun turn, critic, sun notes). */
const ANSWER = {
  plan: ['read the moons'],
  signal: 0.4,
  confidence: 0.6,
  reasons: ['loopback model'],
  type: 'decision',
  forecast: 0.5,
  rationale: 'loopback sun',
  verdict: 'approve',
  scale: 1,
  summary: 'nothing',
  sentiment: 0,
  fragility: 0.3,
  drivers: ['loopback'],
  watch: 'nothing',
};

describe('orrery paper reuses what is expensive to think about (agents.cache)', () => {
  const dir = tempDir('orrery-answer-cache-');
  let llm: LlmServer;
  beforeAll(async () => {
    llm = await startLlmServer({ respond: () => ({ json: ANSWER, usage: { input: 500, output: 100 } }) });
  });
  afterAll(async () => {
    await llm.close();
    dir.remove();
  });

  const run = async (runId: string, agents: object, json = false) => {
    const out: string[] = [];
    const io: CliIO = {
      out: (t) => out.push(t),
      err: () => undefined,
      env: { OPENAI_API_KEY: 'sk-loopback', OPENAI_BASE_URL: `${llm.url}/v1` },
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const loaded = parseConfig(
      {
        memory: false,
        learning: false,
        agents,
        gateway: {
          routing: { localBaseUrl: `${llm.url}/v1` },
          // a budget that never binds, so both runs choose the same modes (fewer calls leave more budget)
          budget: { maxCallsPerHour: 1_000_000, maxTokensPerHour: 1_000_000_000 },
          prices: { 'openai/gpt-4o-mini': { inputPer1k: 0.001, outputPer1k: 0.002 } },
        },
        run: {
          ledgerPath: join(dir.path, 'l.db'),
          gatewayDbPath: join(dir.path, 'g.db'),
          reportPath: join(dir.path, `${runId}.html`),
        },
      },
      { source: 'test', baseDir: dir.path, env: io.env },
    );
    llm.reset();
    const res = await runPaper(
      { loaded, data: { source: 'spy' }, from: '2006-01-01', to: '2008-12-31', runId, progress: false, json },
      io,
    );
    return { res, out: out.join('\n'), requests: llm.requests.length };
  };

  it('hits cost no call and are ledger hits; the summary, the result and the report show them', async () => {
    const on = await run('on', {});
    const off = await run('off', { cache: { enabled: false } });
    // the cache changes no mode: the same cycles reasoned
    expect(on.res.outcome.usage.modeCounts).toEqual(off.res.outcome.usage.modeCounts);
    const c = on.res.cache;
    expect(c.hits).toBeGreaterThan(0);
    expect(c.lookups).toBe(c.hits + c.misses);
    // every planet hit is a provider request the run did not make; the sun's notes (off with the
    // cache: nothing to keep them) call only on their misses
    const sum = (prefix: string, f: (s: (typeof c.byAgent)[string]) => number) =>
      Object.entries(c.byAgent)
        .filter(([a]) => a.startsWith(prefix))
        .reduce((n, [, s]) => n + f(s), 0);
    const noteCalls = sum('sun:', (s) => Object.values(s.misses).reduce((a, b) => a + b, 0));
    expect(noteCalls).toBeGreaterThan(0);
    expect(sum('sun:', (s) => s.hits)).toBeGreaterThan(0);
    expect(on.requests).toBe(off.requests - sum('planet:', (s) => s.hits) + noteCalls);
    expect(on.res.outcome.usage.llmCalls).toBe(on.requests);
    expect(c.callsSaved).toBe(c.hits);
    expect(c.usdSaved).toBeGreaterThan(0);
    expect(off.res.cache.lookups).toBe(0);
    // the gateway's ledger has one cache_hit row per hit, at no cost
    const g = new Database(join(dir.path, 'g.db'), { readonly: true });
    try {
      const hits = g
        .prepare("SELECT count(*) n, sum(cost_usd) usd FROM ledger WHERE outcome = 'cache_hit'")
        .get() as { n: number; usd: number };
      expect(hits).toEqual({ n: c.hits, usd: 0 });
    } finally {
      g.close();
    }
    // the cycle records say which planet reused its answer
    const ledger = Ledger.open(join(dir.path, 'l.db'));
    try {
      const planetHits = ledger
        .cycles('on')
        .flatMap((r) => (r.record as { planets: { llm?: { cache?: string } }[] }).planets)
        .filter((p) => p.llm?.cache === 'hit').length;
      const byAgent = Object.entries(c.byAgent).filter(([a]) => a.startsWith('planet:'));
      expect(planetHits).toBe(byAgent.reduce((n, [, s]) => n + s.hits, 0));
    } finally {
      ledger.close();
    }
    const line = `Answer cache: ${c.hits} hit(s) of ${c.lookups} lookups`;
    expect(on.out).toContain(line);
    expect(off.out).not.toContain('Answer cache:');
    expect(readFileSync(join(dir.path, 'on.html'), 'utf8')).toContain(line);
    // --json: stdout is one JSON object, and it carries the same figures
    const asJson = await run('json', {}, true);
    const obj = JSON.parse(asJson.out) as { cache: Record<string, unknown> };
    expect(obj.cache).toMatchObject({
      lookups: c.lookups,
      hits: c.hits,
      misses: c.misses,
      callsSaved: c.callsSaved,
      invalidations: c.invalidations,
    });
    expect(obj.cache.hitRate).toBeCloseTo(c.hits / c.lookups, 12);
    expect(Object.keys(obj.cache.byAgent as object).sort()).toEqual(Object.keys(c.byAgent).sort());
  }, 300_000);
});
