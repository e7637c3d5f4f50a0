import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { type CycleRecord, Learner, PromptEvolution } from '@orrery/agents';
import { Ledger } from '@orrery/broker';
import { freePort, startLlmServer, tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runPaper } from '../src/session/paper-run.ts';

const dir = tempDir('orrery-learning-run-');
afterAll(() => dir.remove());

const io: CliIO = {
  out: () => undefined,
  err: () => undefined,
  env: {},
  cwd: dir.path,
  isTTY: false,
  signal: new AbortController().signal,
};

const HORIZON = 5 * 86_400_000; // the agents' default memory horizon

describe('the learning loop in orrery paper', () => {
  it('learns from realised outcomes only, applies each change from the next bar, and can be reverted', async () => {
    const loaded = parseConfig(
      {
        memory: false,
        learning: { minSamples: 20, priorStrength: 10 },
        gateway: { routing: { localBaseUrl: `http://127.0.0.1:${await freePort()}/v1` } },
      },
      { source: 'test', baseDir: dir.path, env: {} },
    );
    await runPaper(
      {
        loaded,
        data: { source: 'spy' },
        from: '2004-01-01',
        to: '2006-12-31',
        runId: 'learn',
        progress: false,
      },
      io,
    );
    const ledger = Ledger.open(join(dir.path, '.orrery', 'ledger.db'));
    const cycles = ledger.cycles('learn').map((c) => c.record as CycleRecord);
    ledger.close();
    const learner = Learner.open({ path: join(dir.path, '.orrery', 'learning.db'), scope: 'learn' });
    try {
      const changes = learner.changes();
      const weights = changes.filter((c) => c.parameter.startsWith('weight:'));
      expect(weights.length).toBeGreaterThan(0);
      for (const c of changes) {
        // Every change rests on at least minSamples outcomes, each of which was due by the change's time.
        const due = cycles.filter((r) => r.time + HORIZON <= c.at).length;
        expect(c.evidence.n as number).toBeGreaterThanOrEqual(20);
        expect(c.evidence.n as number).toBeLessThanOrEqual(due);
      }
      // A weight change made after bar T shows in the reports from the next bar on.
      const first = weights[0]!;
      const planet = first.parameter.slice('weight:'.length);
      const at = (r: CycleRecord) => r.planets.find((p) => p.planet === planet)!.weight;
      const before = cycles.filter((r) => r.time <= first.at);
      const next = cycles.find((r) => r.time > first.at)!;
      expect(before.every((r) => at(r) === first.old)).toBe(true);
      expect(at(next)).toBe(first.new);

      // Reverting puts the value back, recorded with what it undid.
      const last = learner.changes(first.parameter).at(-1)!;
      const undo = learner.revert(last.id);
      expect(undo).toMatchObject({ parameter: first.parameter, old: last.new, new: last.old });
      expect(learner.weightOf(planet)).toBe(last.old);
    } finally {
      learner.close();
    }
  }, 120_000);

  it('runs without learning when the section is false', async () => {
    const loaded = parseConfig(
      {
        memory: false,
        learning: false,
        run: { ledgerPath: join(dir.path, 'off.db'), gatewayDbPath: join(dir.path, 'off-g.db') },
        gateway: { routing: { localBaseUrl: `http://127.0.0.1:${await freePort()}/v1` } },
      },
      { source: 'test', baseDir: dir.path, env: {} },
    );
    await runPaper(
      {
        loaded,
        data: { source: 'spy' },
        from: '2004-01-01',
        to: '2006-12-31',
        runId: 'off',
        progress: false,
      },
      io,
    );
    const ledger = Ledger.open(join(dir.path, 'off.db'));
    try {
      const weights = new Set(
        ledger
          .cycles('off')
          .flatMap((c) => (c.record as CycleRecord).planets.map((p) => `${p.planet}=${p.weight}`)),
      );
      expect([...weights].sort()).toEqual(['execution=0.5', 'risk=1', 'sentiment=0.5', 'technical=1']);
    } finally {
      ledger.close();
    }
  }, 120_000);

  it('runs a prompt A/B experiment on the sun: variants by key, outcomes per variant, replayable', async () => {
    const llm = await startLlmServer({
      respond: (req) => {
        const h = createHash('sha256').update(JSON.stringify(req.body)).digest();
        return {
          json: {
            plan: ['read'],
            signal: (h[0]! / 255) * 2 - 1,
            confidence: h[1]! / 255,
            reasons: ['r'],
            summary: 's',
            sentiment: 0,
            fragility: h[4]! / 255,
            drivers: ['d'],
            watch: 'w',
            type: 'decision',
            forecast: (h[2]! < 150 ? 1 : -1) * (h[3]! / 255),
            rationale: 'x',
            verdict: 'approve',
            scale: 1,
          },
        };
      },
    });
    const env = { OPENAI_API_KEY: 'sk-loopback', OPENAI_BASE_URL: `${llm.url}/v1` };
    const config = (runId: string) => ({
      memory: false as const,
      learning: {
        prompts: {
          'sun.system': [
            { id: 'control', text: '' },
            { id: 'bold', text: 'Act on strong signals.' },
          ],
        },
        promptTest: { minSamples: 2, test: 'welch' as const },
      },
      run: {
        ledgerPath: join(dir.path, 'ab.db'),
        gatewayDbPath: join(dir.path, 'ab-g.db'),
        reportPath: join(dir.path, `${runId}.html`),
      },
    });
    const paper = (runId: string, replay?: string) =>
      runPaper(
        {
          loaded: parseConfig(config(runId), { source: 'test', baseDir: dir.path, env }),
          data: { source: 'btc' },
          from: '2020-01-01',
          to: '2020-06-30',
          runId,
          progress: false,
          ...(replay === undefined ? {} : { replay }),
        },
        { ...io, env },
      );
    try {
      await paper('ab');
      const ledger = Ledger.open(join(dir.path, 'ab.db'));
      const cycles = ledger.cycles('ab').map((c) => c.record as CycleRecord);
      ledger.close();
      const reasoned = cycles.filter((r) => r.reasoning?.promptVariant !== undefined);
      expect(new Set(reasoned.map((r) => r.reasoning!.promptVariant))).toEqual(new Set(['control', 'bold']));
      const guided = llm.requests.filter((q) =>
        JSON.stringify(q.body).includes('Guidance: Act on strong signals.'),
      );
      expect(guided.length).toBeGreaterThan(0);

      // Each reasoned cycle counts for its variant once its outcome is due (the last refresh: the
      // second-to-last bar).
      const lastFlush = cycles.at(-2)!.time;
      const evolution = PromptEvolution.open({ path: join(dir.path, '.orrery', 'learning.db') });
      try {
        const e = evolution.evaluate('ab:sun.system');
        for (const v of ['control', 'bold']) {
          const due = reasoned.filter(
            (r) => r.reasoning!.promptVariant === v && r.time + HORIZON <= lastFlush,
          );
          expect(e.variants.find((x) => x.variant === v)!.n).toBe(due.length);
        }
        expect(evolution.history('ab:sun.system')[0]).toMatchObject({ event: 'defined' });
      } finally {
        evolution.close();
      }

      await llm.close();
      const replay = await paper('ab-again', 'ab');
      expect(replay.replay).toMatchObject({ sameDecisions: true, sameFills: true });
    } finally {
      await llm.close();
    }
  }, 300_000);
});
