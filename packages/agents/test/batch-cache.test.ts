import { ExecutionMode } from '@orrery/core';
import type { LlmRecordedRequest, LlmReply, LlmServer } from '@orrery/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AnswerCache,
  BatchWindow,
  createMoonBank,
  createPlanet,
  createSolarSystem,
  DEFAULT_CHANGE_THRESHOLDS,
  type MoonSnapshot,
  type Planet,
  type PlanetReport,
} from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';
import { ANSWERS, FLAT } from './helpers/system.ts';

const DAY = 86_400_000;
const SETTINGS = { enabled: true, ttlMs: 10 * DAY };
const THRESHOLDS = { ...DEFAULT_CHANGE_THRESHOLDS, forecast: 0.2, critical: 0.5 };
const SYMBOLS = ['AAA', 'BBB', 'CCC'] as const;

/** The symbols a batched prompt covers, from its `### "SYMBOL"` headings (none: a prompt asked alone). */
function sectionsOf(req: LlmRecordedRequest): string[] {
  return [...promptText(req.body).matchAll(/^### (".*")$/gm)].map((m) => JSON.parse(m[1]!) as string);
}

/** Every model answers validly; a batched request gets one part per symbol it asks about. */
function answerBatches(server: LlmServer): void {
  server.setDefault((req): LlmReply => {
    const valid = req.model === MODELS.local ? ANSWERS.sentiment : ANSWERS.planet;
    const wanted = sectionsOf(req);
    if (wanted.length === 0) return { json: valid };
    return { json: Object.fromEntries(wanted.map((s) => [s, valid])) };
  });
}

let h: LlmHarness;
let base: MoonSnapshot;

beforeAll(async () => {
  h = await llmHarness();
  const bank = createMoonBank({ symbol: 'AAA' });
  for (const bar of referenceBars().slice(0, 300)) base = bank.update(bar);
});
afterAll(async () => h.close());
beforeEach(() => {
  h.server.reset();
  answerBatches(h.server);
});

/** `symbol`'s snapshot `days` after the base bar, with some features moved. */
function snap(symbol: string, days: number, moved: Record<string, number> = {}): MoonSnapshot {
  return {
    ...base,
    symbol,
    bar: { ...base.bar, time: base.bar.time + days * DAY },
    features: { ...base.features, ...moved },
  };
}

/**
 * One batched step: every symbol's planet asks through the same batch window (as `cycleMany` does),
 * and the window sends what it must once every symbol has asked.
 */
async function batchedStep(planet: Planet, snaps: readonly MoonSnapshot[]): Promise<PlanetReport[]> {
  const time = snaps[0]!.bar.time;
  const window = new BatchWindow(
    h.gateway,
    time,
    snaps.map((s) => s.symbol),
  );
  return Promise.all(
    snaps.map(async (s) => {
      const member = window.member(s.symbol);
      const allowance = member.permit(`planet:${planet.name}`);
      const pending = planet.analyze(s, { mode: ExecutionMode.LIGHT_REASONING, allowance });
      member.seal();
      try {
        return await pending;
      } finally {
        allowance.release?.();
        member.done();
      }
    }),
  );
}

const ledgerHits = () =>
  h.gateway.ledger.since(0).filter((e) => e.agent === 'planet:risk' && e.outcome === 'cache_hit').length;

describe('a batched planet call uses the answer cache part by part', () => {
  it('unchanged inputs: 0 requests; one symbol moved: it alone is asked; two moved: one batch of those two', async () => {
    const cache = new AnswerCache('planet:risk', SETTINGS, THRESHOLDS, {});
    const planet = createPlanet('risk', { cache });

    const first = await batchedStep(
      planet,
      SYMBOLS.map((s) => snap(s, 0)),
    );
    expect(h.server.requests).toHaveLength(1);
    expect(sectionsOf(h.server.requests[0]!)).toEqual([...SYMBOLS]);
    expect(first.map((r) => r.llm)).toEqual(
      SYMBOLS.map(() => expect.objectContaining({ outcome: 'answered', cache: 'absent' })),
    );
    const budget = h.gateway.budgetStatus().callsUsed;
    const hitsBefore = ledgerHits();

    // The next bar, nothing the risk planet reads moved (RSI is not one of its features): all hits.
    const rsi = (base.features.rsi ?? 50) + 40;
    const second = await batchedStep(
      planet,
      SYMBOLS.map((s) => snap(s, 1, { rsi })),
    );
    expect(h.server.requests).toHaveLength(1); // no new provider request
    expect(second.map((r) => [r.source, r.llm?.cache])).toEqual(SYMBOLS.map(() => ['llm', 'hit']));
    expect(h.gateway.budgetStatus().callsUsed).toBe(budget); // hits cost no budget
    expect(ledgerHits()).toBe(hitsBefore + SYMBOLS.length); // each hit is a ledger row
    expect(cache.stats).toMatchObject({ hits: 3, callsSaved: 3 });

    // BBB's volatility moves past its threshold: only BBB is asked, on its own.
    const vol = (base.features.volatility ?? 20) + DEFAULT_CHANGE_THRESHOLDS.volatility! * 1.5;
    const third = await batchedStep(planet, [
      snap('AAA', 2),
      snap('BBB', 2, { volatility: vol }),
      snap('CCC', 2),
    ]);
    expect(h.server.requests).toHaveLength(2);
    const lone = h.server.requests[1]!;
    expect(sectionsOf(lone)).toEqual([]);
    expect(promptText(lone.body)).toContain('BBB');
    expect(promptText(lone.body)).not.toMatch(/AAA|CCC/);
    expect(third.map((r) => r.llm?.cache)).toEqual(['hit', 'material_change', 'hit']);

    // BBB's new answer was stored under its own key: the next bar with BBB unchanged is a hit again.
    const fourth = await batchedStep(planet, [
      snap('AAA', 3, { volatility: vol }),
      snap('BBB', 3, { volatility: vol }),
      snap('CCC', 3, { volatility: vol }),
    ]);
    expect(fourth.map((r) => r.llm?.cache)).toEqual(['material_change', 'hit', 'material_change']);
    expect(h.server.requests).toHaveLength(3);
    expect(sectionsOf(h.server.requests[2]!)).toEqual(['AAA', 'CCC']);

    // …and both parts of that batch were stored too: a step with nothing moved sends nothing.
    const fifth = await batchedStep(
      planet,
      SYMBOLS.map((s) => snap(s, 4, { volatility: vol })),
    );
    expect(fifth.map((r) => r.llm?.cache)).toEqual(['hit', 'hit', 'hit']);
    expect(h.server.requests).toHaveLength(3);
  });

  it('a cache-only lookup never reaches the provider: a miss is ORRERY_LLM_CACHE_MISS, no budget used', async () => {
    const budget = h.gateway.budgetStatus().callsUsed;
    await expect(
      h.gateway.execute({
        task: 'planet_analysis',
        messages: [
          { role: 'system', content: 'You are a risk analyst.' },
          { role: 'user', content: 'anything' },
        ],
        cache: { ttlMs: DAY, key: 'never-stored', only: true },
      }),
    ).rejects.toMatchObject({ code: 'ORRERY_LLM_CACHE_MISS' });
    expect(h.server.requests).toHaveLength(0);
    expect(h.gateway.budgetStatus().callsUsed).toBe(budget);
  });
});

describe('through cycleMany', () => {
  const moons = {
    trendSpeeds: [
      [2, 8],
      [4, 16],
      [8, 32],
    ] as [number, number][],
    volSpan: 10,
  };
  const config = (enabled: boolean) => ({
    mode: { fullAgentStakes: 2, fullAgentFragility: 2, lowConfidence: 0 },
    moons,
    cache: { tasks: { planet_analysis: { enabled } } },
  });

  it('batched LIGHT cycles reuse cached parts: fewer planet requests than with the cache off, same modes', async () => {
    const bars = referenceBars().slice(0, 250);
    const run = async (enabled: boolean) => {
      h.server.reset();
      answerBatches(h.server);
      const sys = createSolarSystem({ config: config(enabled), gateway: h.gateway, clock: h.clock });
      const modes: string[] = [];
      let hits = 0;
      for (const bar of bars) {
        const records = await sys.cycleMany(
          SYMBOLS.map((symbol, k) => ({
            symbol,
            portfolio: FLAT,
            bar: {
              ...bar,
              open: bar.open * (1 + k / 20),
              high: bar.high * (1 + k / 20),
              low: bar.low * (1 + k / 20),
              close: bar.close * (1 + k / 20),
            },
          })),
        );
        for (const r of records) {
          modes.push(r.mode);
          hits += r.planets.filter((p) => p.planet !== 'sentiment' && p.llm?.cache === 'hit').length;
        }
      }
      await sys.stop();
      const requests = h.server.requestsFor(MODELS.planet);
      return {
        modes,
        hits,
        requests: requests.length,
        parts: requests.map((q) => Math.max(1, sectionsOf(q).length)),
      };
    };
    const on = await run(true);
    const off = await run(false);
    expect(on.modes).toEqual(off.modes);
    expect(on.hits).toBeGreaterThan(0);
    // every hit is one part fewer sent to the provider
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(on.parts)).toBe(sum(off.parts) - on.hits);
    expect(on.requests).toBeLessThanOrEqual(off.requests);
  });
});
