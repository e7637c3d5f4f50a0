import { ExecutionMode } from '@orrery/core';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AnswerCache,
  CACHE_EXTRA_THRESHOLDS,
  cacheMisses,
  createCallAllowance,
  createMoonBank,
  createPlanet,
  createSolarSystem,
  DEFAULT_CHANGE_THRESHOLDS,
  type MoonSnapshot,
  type PlanetKind,
} from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';
import { answerAll, runBars } from './helpers/system.ts';

const DAY = 86_400_000;
const SETTINGS = { enabled: true, ttlMs: 10 * DAY };
const THRESHOLDS = { ...DEFAULT_CHANGE_THRESHOLDS, ...CACHE_EXTRA_THRESHOLDS };

let h: LlmHarness;
let base: MoonSnapshot;

beforeAll(async () => {
  h = await llmHarness();
  const bank = createMoonBank({ symbol: 'SPX' });
  for (const bar of referenceBars().slice(0, 300)) base = bank.update(bar);
});
afterAll(async () => h.close());
beforeEach(() => {
  h.server.reset();
  answerAll(h.server);
});

/** `base` a few days later with some features moved (everything else as it was). */
function later(days: number, moved: Record<string, number> = {}): MoonSnapshot {
  return {
    ...base,
    bar: { ...base.bar, time: base.bar.time + days * DAY },
    features: { ...base.features, ...moved },
  };
}

function cached(kind: PlanetKind) {
  const cache = new AnswerCache(`planet:${kind}`, SETTINGS, THRESHOLDS, {});
  return { cache, planet: createPlanet(kind, { cache }) };
}

const light = (kind: string) => ({
  mode: ExecutionMode.LIGHT_REASONING,
  allowance: createCallAllowance(h.gateway, `planet:${kind}`, 1),
});

function hitsInLedger(agent: string): number {
  return h.gateway.ledger.since(0).filter((e) => e.agent === agent && e.outcome === 'cache_hit').length;
}

describe('a planet reuses its answer while what it reads has not moved', () => {
  it('a change the risk planet does not read (RSI) reuses its answer: no call, no budget, a ledger hit', async () => {
    const { cache, planet } = cached('risk');
    const first = await planet.analyze(later(0), light('risk'));
    expect(first.llm).toMatchObject({ outcome: 'answered', cache: 'absent' });
    expect(h.server.requests).toHaveLength(1);
    const hitsBefore = hitsInLedger('planet:risk');
    const budgetBefore = h.gateway.budgetStatus().callsUsed;

    const rsi = (base.features.rsi ?? 50) + 40;
    const second = await planet.analyze(later(1, { rsi }), light('risk'));
    expect(second.llm).toMatchObject({ outcome: 'answered', cache: 'hit' });
    expect(second.source).toBe('llm');
    expect(h.server.requests).toHaveLength(1); // no provider call
    expect(h.gateway.budgetStatus().callsUsed).toBe(budgetBefore);
    expect(hitsInLedger('planet:risk')).toBe(hitsBefore + 1);
    expect(cache.stats).toMatchObject({ hits: 1, callsSaved: 1 });
    expect(cache.stats.usdSaved).toBeGreaterThan(0); // the first call's price

    // the technical planet reads RSI: the same change makes it call
    const tech = cached('technical');
    await tech.planet.analyze(later(0), light('technical'));
    const t2 = await tech.planet.analyze(later(1, { rsi }), light('technical'));
    expect(t2.llm?.cache).toBe('material_change');
    expect(h.server.requests).toHaveLength(3);
  });

  it('a read feature past its threshold, the TTL, and new news each invalidate, with their reason', async () => {
    const { cache, planet } = cached('risk');
    await planet.analyze(later(0), light('risk'));
    const vol = (base.features.volatility ?? 20) + DEFAULT_CHANGE_THRESHOLDS.volatility! * 1.5;
    const moved = await planet.analyze(later(1, { volatility: vol }), light('risk'));
    expect(moved.llm?.cache).toBe('material_change');
    // just below the threshold from the NEW entry: reused
    const near = await planet.analyze(
      later(2, { volatility: vol + DEFAULT_CHANGE_THRESHOLDS.volatility! * 0.9 }),
      light('risk'),
    );
    expect(near.llm?.cache).toBe('hit');
    const expired = await planet.analyze(later(1 + 10, { volatility: vol }), light('risk'));
    expect(expired.llm?.cache).toBe('expired');
    expect(cache.stats.misses).toMatchObject({ absent: 1, material_change: 1, expired: 1 });
    expect(cache.stats.hits).toBe(1);
    expect(h.server.requests).toHaveLength(3);

    const s = cached('sentiment');
    const news = ['Shares rally on strong earnings'];
    await s.planet.analyze(later(0), { ...light('sentiment'), news });
    const same = await s.planet.analyze(later(1, { price: 1, rsi: 1 }), { ...light('sentiment'), news });
    expect(same.llm?.cache).toBe('hit'); // sentiment reads only the news
    const fresh = await s.planet.analyze(later(2), {
      ...light('sentiment'),
      news: ['Regulator opens a probe'],
    });
    expect(fresh.llm?.cache).toBe('news');
    expect(h.server.requestsFor(MODELS.local)).toHaveLength(2);
    // what the prompt does not show (a 21st item, text past 300 characters) is not part of the key
    const twenty = Array.from({ length: 20 }, (_, i) => `Headline ${i} ${'x'.repeat(300)}`);
    await s.planet.analyze(later(3), { ...light('sentiment'), news: twenty });
    const more = [...twenty.map((n) => `${n} and more`), 'A 21st headline'];
    const unseen = await s.planet.analyze(later(4), { ...light('sentiment'), news: more });
    expect(unseen.llm?.cache).toBe('hit');
    const seen = await s.planet.analyze(later(5), { ...light('sentiment'), news: ['Other', ...twenty] });
    expect(seen.llm?.cache).toBe('news');
    expect(h.server.requestsFor(MODELS.local)).toHaveLength(4);
  });

  it('the risk planet is not shown the trend regime, so a trend flip reuses its answer; the volatility level does not', async () => {
    const { cache, planet } = cached('risk');
    await planet.analyze(later(0), light('risk'));
    const shown = promptText(h.server.requests[0]!.body);
    expect(shown).toContain(`"regime":{"volatility":"${base.readings.regime.volatility}"}`);
    const flipped = await planet.analyze(
      later(1, { trend: (base.features.trend ?? 0) === 1 ? 0 : 1 }),
      light('risk'),
    );
    expect(flipped.llm?.cache).toBe('hit');
    const calmer = await planet.analyze(
      later(2, { volLevel: (base.features.volLevel ?? 1) + 1 }),
      light('risk'),
    );
    expect(calmer.llm?.cache).toBe('material_change');
    expect(cache.stats).toMatchObject({ hits: 1, misses: { absent: 1, material_change: 1 } });
  });

  it('the execution planet reads the ATR and its own plan, not the price averages', async () => {
    const { cache, planet } = cached('execution');
    await planet.analyze(later(0), light('execution'));
    const shown = promptText(h.server.requests[0]!.body);
    expect(shown).toMatch(/"ma":\{"volumeSma":[\d.e+]+\}/);
    expect(shown).not.toContain('emaFast');
    const spread = (base.features.maSpread ?? 0) + 10 * DEFAULT_CHANGE_THRESHOLDS.maSpread!;
    const same = await planet.analyze(later(1, { maSpread: spread }), light('execution'));
    expect(same.llm?.cache).toBe('hit');
    // a bar without trades flips its plan to skip: a new situation to explain
    const s = later(2);
    const c = s.bar.close;
    const idle = { ...s, bar: { ...s.bar, open: c, high: c, low: c, volume: 0 } };
    const skipped = await planet.analyze(idle, light('execution'));
    expect(skipped.data).toMatchObject({ skip: true });
    expect(skipped.llm?.cache).toBe('material_change');
    const atr = await planet.analyze(
      later(3, { atrPct: (base.features.atrPct ?? 1) * 3 + 1 }),
      light('execution'),
    );
    expect(atr.llm?.cache).toBe('material_change');
    expect(cache.stats.hits).toBe(1);
    expect(h.server.requests).toHaveLength(3);
  });

  it('a failed call leaves no entry: the next cycle calls again', async () => {
    const { cache, planet } = cached('execution');
    h.server.script(MODELS.planet, [{ status: 500, message: 'boom' }]);
    const failed = await planet.analyze(later(0), light('execution'));
    expect(failed.llm?.outcome).toBe('failed');
    const next = await planet.analyze(later(1), light('execution'));
    expect(next.llm).toMatchObject({ outcome: 'answered', cache: 'absent' });
    expect(cacheMisses(cache.stats)).toBe(2);
    expect(cache.stats.hits).toBe(0);
  });
});

describe('AnswerCache verdicts', () => {
  it('property: a hit only when every read feature stayed within its threshold, same prompt and texts, within the TTL', () => {
    fc.assert(
      fc.property(
        fc.record({
          a: fc.double({ min: -50, max: 50, noNaN: true }),
          b: fc.double({ min: -50, max: 50, noNaN: true }),
        }),
        fc.record({
          a: fc.double({ min: -5, max: 5, noNaN: true }),
          b: fc.double({ min: -5, max: 5, noNaN: true }),
        }),
        fc.integer({ min: 0, max: 20 }),
        fc.boolean(),
        fc.boolean(),
        (at, move, days, sameText, samePrompt) => {
          const cache = new AnswerCache('x', { enabled: true, ttlMs: 10 * DAY }, { a: 2, b: 3 });
          const inputs = { symbol: 'S', time: 0, features: at, texts: ['n'], promptVersion: 'p' };
          const v0 = cache.check(inputs);
          cache.settle(inputs, v0, { answered: true, cached: false, costUsd: 0.01 });
          const now = {
            symbol: 'S',
            time: days * DAY,
            features: { a: at.a + move.a, b: at.b + move.b },
            texts: [sameText ? 'n' : 'm'],
            promptVersion: samePrompt ? 'p' : 'q',
          };
          const v = cache.check(now);
          const expected =
            samePrompt && sameText && days < 10 && Math.abs(move.a) < 2 && Math.abs(move.b) < 3;
          expect(v.hit).toBe(expected);
          if (!v.hit) {
            const reason = !samePrompt
              ? 'prompt'
              : !sameText
                ? 'news'
                : days >= 10
                  ? 'expired'
                  : 'material_change';
            expect(v.reason).toBe(reason);
            expect(v.key).not.toBe(v0.key);
          } else expect(v.key).toBe(v0.key);
        },
      ),
    );
  });
});

describe('through the solar system', () => {
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

  it('LIGHT cycles reuse the planets whose inputs did not move; agents.cache.tasks off makes every call', async () => {
    const bars = referenceBars().slice(0, 400);
    const on = createSolarSystem({ config: config(true), gateway: h.gateway, clock: h.clock });
    const recOn = await runBars(on, bars);
    await on.stop();
    const callsOn = h.server.requestsFor(MODELS.planet).length;
    const stats = on.cacheStats();
    h.server.reset();
    answerAll(h.server);
    const off = createSolarSystem({ config: config(false), gateway: h.gateway, clock: h.clock });
    const recOff = await runBars(off, bars);
    await off.stop();
    const callsOff = h.server.requestsFor(MODELS.planet).length;

    // the same cycles reasoned (the modes do not depend on the cache)
    expect(recOn.map((r) => r.mode)).toEqual(recOff.map((r) => r.mode));
    const hits = Object.entries(stats)
      .filter(([agent]) => agent.startsWith('planet:'))
      .reduce((a, [, s]) => a + s.hits, 0);
    expect(hits).toBeGreaterThan(0);
    expect(callsOn).toBe(callsOff - hits);
    // only the sentiment planet (task `summarise`) and the sun's notes still have a cache
    expect(Object.keys(off.cacheStats()).sort()).toEqual([
      'planet:sentiment',
      'sun:fragility',
      'sun:summary',
    ]);
    // every hit is in the cycle records as a planet whose answer was reused, costing no call
    const reused = recOn.flatMap((r) => r.planets).filter((p) => p.llm?.cache === 'hit').length;
    expect(reused).toBe(hits);
    expect(stats['planet:risk']!.hits).toBeGreaterThan(0);
  });

  it('FULL_AGENT reads the market summary and fragility card, regenerated only on material change or TTL', async () => {
    const bars = referenceBars().slice(0, 400);
    const full = {
      mode: { fullAgentStakes: 0 },
      moons,
      critic: { minTradeFraction: 1, minFragility: 1, belowConfidence: 0 },
    };
    const sys = createSolarSystem({ config: full, gateway: h.gateway, clock: h.clock });
    const records = await runBars(sys, bars);
    await sys.stop();
    const fullCycles = records.filter((r) => r.mode === ExecutionMode.FULL_AGENT).length;
    expect(fullCycles).toBeGreaterThan(2);
    const stats = sys.cacheStats();
    const summary = stats['sun:summary']!;
    const card = stats['sun:fragility']!;
    // one lookup per note per reasoning stage; a call only on a miss
    expect(summary.hits + cacheMisses(summary)).toBe(fullCycles);
    expect(card.hits + cacheMisses(card)).toBe(fullCycles);
    expect(h.server.requestsFor(MODELS.notes)).toHaveLength(cacheMisses(summary) + cacheMisses(card));
    expect(summary.hits + card.hits).toBeGreaterThan(0);
    // each note is shown the features it reads (those its cache compares), no other
    const notes = h.server.requestsFor(MODELS.notes).map((q) => promptText(q.body));
    const summaryPrompt = notes.find((t) => t.includes('market-understanding summary'))!;
    const cardPrompt = notes.find((t) => t.includes('fragility card'))!;
    expect(summaryPrompt).toMatch(/"rsi":/);
    expect(summaryPrompt).not.toMatch(/"var":|"percentB":|"macdHist":/);
    expect(cardPrompt).toMatch(/"var":/);
    expect(cardPrompt).not.toMatch(/"rsi":|"price":|"percentB":/);
    // every sun prompt carries both notes, fresh or cached
    for (const q of h.server.requestsFor(MODELS.sun).slice(0, fullCycles)) {
      expect(promptText(q.body)).toMatch(/Market summary \(as of .*Fragility card \(as of /s);
    }
  });
});
