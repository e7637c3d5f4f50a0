import { ExecutionMode } from '@orrery/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSolarSystem, type SolarSystemConfigInput } from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';
import { ANSWERS, answerAll, FLAT, runBars } from './helpers/system.ts';

const bars = referenceBars();
const WARMUP = bars.slice(0, 35);
/** The first warm bar: every feature counts as changed (nothing anchored yet). */
const FIRST = bars[35]!;

/** Short trend speeds and volatility span, so the forecast and the sizing are warm after 35 bars. */
const FAST_MOONS = {
  trendSpeeds: [
    [2, 8],
    [4, 16],
    [8, 32],
  ] as [number, number][],
  volSpan: 10,
};
const LIGHT: SolarSystemConfigInput = {
  mode: { fullAgentStakes: 2, fullAgentFragility: 2, lowConfidence: 0 },
  moons: FAST_MOONS,
};
const FULL: SolarSystemConfigInput = { mode: { fullAgentStakes: 0 }, moons: FAST_MOONS };
const NO_CRITIC = { minTradeFraction: 1, minFragility: 1, belowConfidence: 0 };

let h: LlmHarness;
beforeAll(async () => {
  h = await llmHarness();
});
afterAll(async () => h.close());
beforeEach(() => {
  h.server.reset();
  answerAll(h.server);
});

async function warmed(config: SolarSystemConfigInput) {
  const sys = createSolarSystem({ config, gateway: h.gateway, clock: h.clock });
  const records = await runBars(sys, WARMUP);
  expect(records.every((r) => r.mode === ExecutionMode.MONITOR_ONLY && r.calls === 0)).toBe(true);
  expect(h.server.requests).toHaveLength(0);
  return sys;
}

describe('a full cycle in each mode against the loopback LLM server', () => {
  it('MONITOR_ONLY: no LLM call, deterministic planets, the held target sized and rebalanced', async () => {
    const sys = await warmed(LIGHT);
    await sys.cycle({ symbol: 'SPX', bar: FIRST, portfolio: FLAT });
    h.server.reset();
    const r = await sys.cycle({ symbol: 'SPX', bar: bars[36]!, portfolio: FLAT });
    await sys.stop();
    expect(r.mode).toBe(ExecutionMode.MONITOR_ONLY);
    expect(r.modeReason).toBe('no material change');
    expect(r.calls).toBe(0);
    expect(h.server.requests).toHaveLength(0);
    // shown a flat account, the monitor trades to the planets' sized target, without any LLM
    expect(r.decision).toMatchObject({ action: 'buy', source: 'monitor' });
    expect(r.decision.targetFraction).toBeCloseTo(r.consensusDecision.targetFraction, 12);
    expect(r.decision.targetFraction).toBeGreaterThan(0);
    expect(r.planets.every((p) => p.source === 'deterministic')).toBe(true);
    expect(r.consensusDecision.source).toBe('consensus');
    expect(Object.keys(r.stagesMs)).toEqual(expect.arrayContaining(['sense', 'decide', 'broadcast']));
  });

  it('LIGHT_REASONING: one call per planet, concurrently, then consensus', async () => {
    const sys = await warmed(LIGHT);
    const r = await sys.cycle({
      symbol: 'SPX',
      bar: FIRST,
      portfolio: FLAT,
      news: ['Shares rally on strong earnings'],
    });
    await sys.stop();
    expect(r.mode).toBe(ExecutionMode.LIGHT_REASONING);
    expect(h.server.requestsFor(MODELS.planet)).toHaveLength(3);
    expect(h.server.requestsFor(MODELS.local)).toHaveLength(1);
    expect(h.server.requestsFor(MODELS.sun)).toHaveLength(0);
    expect(r.calls).toBe(4);
    expect(r.tokensIn).toBeGreaterThan(0);
    expect(r.costUsd).toBeGreaterThan(0);
    expect(r.planets.map((p) => [p.planet, p.source])).toEqual([
      ['execution', 'llm'],
      ['risk', 'llm'],
      ['sentiment', 'llm'],
      ['technical', 'llm'],
    ]);
    expect(r.decision.source).toBe('consensus');
    expect(r.fallback).toBeUndefined();
    expect(r.dissent).toBeGreaterThanOrEqual(0);
    expect(r.stagesMs.planets).toBeGreaterThan(0);
    // the planets were asked at once: every planet request arrived before any was answered
    const times = h.server.requestsFor(MODELS.planet).map((q) => q.receivedAt);
    expect(Math.max(...times) - Math.min(...times)).toBeLessThan(5_000);
  });

  it('FULL_AGENT: planets, the sun with a tool turn, the critic, a decision', async () => {
    const sys = await warmed({ ...FULL, critic: { minTradeFraction: 0.01 } });
    h.server.script(MODELS.sun, [
      { json: { type: 'tool', tool: 'ask_planet', planet: 'risk' } },
      { json: ANSWERS.sun },
    ]);
    const r = await sys.cycle({ symbol: 'SPX', bar: FIRST, portfolio: FLAT });
    await sys.stop();
    expect(r.mode).toBe(ExecutionMode.FULL_AGENT);
    expect(r.reasoning).toEqual({ stage: 'sun', turns: 2, tools: ['ask_planet:risk'], errors: [] });
    expect(h.server.requestsFor(MODELS.sun)).toHaveLength(2);
    expect(promptText(h.server.requestsFor(MODELS.sun)[1]?.body)).toMatch(
      /Tool ask_planet:risk answered: \{"status":"ok"/,
    );
    expect(r.critic).toMatchObject({ verdict: 'approve', trigger: [expect.stringMatching(/^trade/)] });
    expect(h.server.requestsFor(MODELS.critic)).toHaveLength(1);
    // 3 planets, 2 sun turns, the critic, and the sun's two notes (market summary, fragility card)
    expect(h.server.requestsFor(MODELS.notes)).toHaveLength(2);
    expect(r.calls).toBe(3 + 2 + 1 + 2);
    const sunPrompt = promptText(h.server.requestsFor(MODELS.sun)[0]?.body);
    expect(sunPrompt).toContain(`Market summary (as of 2`);
    expect(sunPrompt).toContain(ANSWERS.summary.summary);
    expect(sunPrompt).toContain(`Fragility card (as of 2`);
    expect(sunPrompt).toContain(ANSWERS.fragility.watch);
    expect(r.decision).toMatchObject({ source: 'sun', action: 'buy' });
    // the sun gives a forecast (within sun.maxTilt of the planets'), sized like any other
    const planets = r.planets.find((p) => p.planet === 'technical')!.signal;
    const limit = Math.min(1, planets + sys.config.sun.maxTilt);
    expect(r.decision.forecast).toBeCloseTo(Math.min(ANSWERS.sun.forecast, limit), 12);
    expect(r.decision.targetFraction).toBeCloseTo(r.decision.sizedWeight as number, 12);
    expect(r.decision.targetFraction).toBeGreaterThan(0);
    expect(r.decision.stopPrice).toBeUndefined(); // stops are opt-in
    expect(Object.keys(r.stagesMs)).toEqual(
      expect.arrayContaining(['sense', 'planets', 'reasoning', 'critic', 'decide', 'broadcast']),
    );
  });

  it('the critic can cut a trade; the sun stops at its turn cap', async () => {
    const sys = await warmed({ ...FULL, critic: { minTradeFraction: 0.01 }, sun: { maxTurns: 2 } });
    h.server.script(MODELS.sun, [
      { json: { type: 'tool', tool: 'read_patterns' } },
      { json: { type: 'tool', tool: 'recall_memory' } },
    ]);
    h.server.script(MODELS.critic, [{ json: { verdict: 'reduce', scale: 0.5, reasons: ['too big'] } }]);
    const r = await sys.cycle({ symbol: 'SPX', bar: FIRST, portfolio: FLAT });
    await sys.stop();
    expect(h.server.requestsFor(MODELS.sun)).toHaveLength(2);
    expect(r.reasoning?.stage).toBe('backup-sun');
    expect(r.reasoning?.errors[0]).toMatch(/cap of 2 reasoning turns/);
    expect(r.fallback).toBe('backup-sun');
    expect(r.critic?.verdict).toBe('reduce');
    expect(r.decision.targetFraction).toBeCloseTo((r.decision.sizedWeight as number) * 0.5, 12);
  });
});

describe('fallbacks: sun → backup sun → consensus → monitor, with zero retries', () => {
  it('a 429 on the sun goes to the backup sun (one request each)', async () => {
    const g = await llmHarness();
    try {
      answerAll(g.server);
      g.server.script(MODELS.sun, [{ status: 429, retryAfter: 60 }]);
      const sys = createSolarSystem({
        config: { ...FULL, critic: NO_CRITIC },
        gateway: g.gateway,
        clock: g.clock,
      });
      await runBars(sys, WARMUP);
      const r = await sys.cycle({ symbol: 'SPX', bar: FIRST, portfolio: FLAT });
      await sys.stop();
      expect(r.fallback).toBe('backup-sun');
      expect(r.decision.source).toBe('backup-sun');
      expect(r.reasoning?.errors[0]).toMatch(/ORRERY_LLM_RATE_LIMITED/);
      expect(g.server.requestsFor(MODELS.sun)).toHaveLength(1);
      expect(g.server.requestsFor(MODELS.backupSun)).toHaveLength(1);
    } finally {
      await g.close();
    }
  });

  it('both suns failing leave the decision to the planets; cooling suns get no request, nothing is retried', async () => {
    const g = await llmHarness();
    try {
      answerAll(g.server);
      g.server.script(MODELS.sun, [{ status: 429, retryAfter: 600 }]);
      g.server.script(MODELS.backupSun, [{ status: 503 }, { status: 429, retryAfter: 600 }]);
      const sys = createSolarSystem({
        config: { ...FULL, critic: NO_CRITIC },
        gateway: g.gateway,
        clock: g.clock,
      });
      await runBars(sys, WARMUP);
      // 1. sun 429, backup 503: the planets decide
      const r1 = await sys.cycle({ symbol: 'SPX', bar: FIRST, portfolio: FLAT });
      expect(r1.mode).toBe(ExecutionMode.FULL_AGENT);
      expect(r1.fallback).toBe('consensus');
      expect(r1.decision.source).toBe('consensus');
      expect(r1.reasoning?.errors).toHaveLength(2);
      // 2. the sun's pair is cooling: no request to it; the backup answers 429 and cools too
      const later = await runBars(sys, bars.slice(36, 70));
      const reasoned = later.filter((r) => r.mode !== ExecutionMode.MONITOR_ONLY);
      expect(reasoned[0]?.mode).toBe(ExecutionMode.FULL_AGENT);
      expect(reasoned[0]?.fallback).toBe('consensus');
      expect(reasoned[0]?.reasoning?.errors[0]).toMatch(/cannot be served now .*no call made/);
      expect(reasoned[0]?.reasoning?.errors[1]).toMatch(/ORRERY_LLM_RATE_LIMITED/);
      // 3. with both suns cooling, selectMode does not wake the sun: the planets decide
      expect(reasoned.length).toBeGreaterThan(1);
      for (const r of reasoned.slice(1)) {
        expect(r.mode).toBe(ExecutionMode.LIGHT_REASONING);
        expect(r.modeReason).toMatch(/sun cooling down/);
      }
      // one request per attempt, never a retry
      expect(g.server.requestsFor(MODELS.sun)).toHaveLength(1);
      expect(g.server.requestsFor(MODELS.backupSun)).toHaveLength(2);
      await sys.stop();
    } finally {
      await g.close();
    }
  });

  it('with both suns down and no planet quorum, the cycle falls back to monitoring', async () => {
    const g = await llmHarness();
    try {
      answerAll(g.server, { sun: { status: 500 }, backupSun: { status: 500 } });
      const hang = (name: string) => () => ({
        name,
        weight: 1,
        moons: [],
        assess: () => ({ signal: 0.5, confidence: 0.5, reasons: ['fine alone'] }),
        analyze: () => new Promise<never>(() => undefined),
      });
      const sys = createSolarSystem({
        config: { ...FULL, critic: NO_CRITIC, planets: { enabled: ['technical'] }, planetTimeoutMs: 1_000 },
        gateway: g.gateway,
        clock: g.clock,
        planets: [hang('slow1'), hang('slow2')],
      });
      await runBars(sys, WARMUP);
      const r = await sys.cycle({ symbol: 'SPX', bar: FIRST, portfolio: FLAT });
      await sys.stop();
      expect(r.fallback).toBe('monitor');
      expect(r.decision).toMatchObject({ source: 'monitor', action: 'hold' });
      expect(r.planets.filter((p) => p.status === 'timeout').map((p) => p.planet)).toEqual([
        'slow1',
        'slow2',
      ]);
      expect(g.server.requestsFor(MODELS.sun)).toHaveLength(1);
      expect(g.server.requestsFor(MODELS.backupSun)).toHaveLength(1);
    } finally {
      await g.close();
    }
  });
});

describe('the risk clamp holds against the LLM', () => {
  it('an answer asking for a forecast of 10 comes back within every limit', async () => {
    const sys = await warmed({
      ...FULL,
      critic: NO_CRITIC,
      risk: { maxPositionFraction: 0.3, stops: true, maxLossFraction: 0.01 },
    });
    const max = sys.config.risk.maxPositionFraction;
    h.server.script(MODELS.sun, [
      { json: { type: 'decision', forecast: 10, confidence: 1, rationale: 'all in' } },
    ]);
    const r = await sys.cycle({ symbol: 'SPX', bar: FIRST, portfolio: FLAT });
    await sys.stop();
    expect(r.reasoning?.errors).toEqual([]);
    expect(r.decision.source).toBe('sun');
    const planets = r.planets.find((p) => p.planet === 'technical')!.signal;
    expect(r.decision.forecast).toBeCloseTo(Math.min(1, planets + sys.config.sun.maxTilt), 12);
    expect(r.decision.rationale).toMatch(/forecast 10 limited to/);
    expect(r.decision.targetFraction).toBeLessThanOrEqual(max);
    const loss = (r.decision.targetFraction * (FIRST.close - (r.decision.stopPrice as number))) / FIRST.close;
    expect(loss).toBeLessThanOrEqual(sys.config.risk.maxLossFraction + 1e-12);
  });
});

describe('critical updates', () => {
  it('a breached stop wakes the sun, and the position is closed whatever the LLM says', async () => {
    const sys = await warmed({ ...FULL, critic: NO_CRITIC, risk: { stops: true } });
    const r1 = await sys.cycle({ symbol: 'SPX', bar: FIRST, portfolio: FLAT });
    expect(r1.decision.action).toBe('buy');
    const stop = r1.decision.stopPrice as number;
    expect(stop).toBeLessThan(FIRST.close);
    // the broker filled the buy; the next bar falls through the stop
    const qty = (r1.decision.targetFraction * FLAT.equity) / FIRST.close;
    const held = {
      equity: FLAT.equity,
      cash: FLAT.equity - qty * FIRST.close,
      positions: { SPX: { qty, avgPrice: FIRST.close } },
    };
    const next = bars[36]!;
    const crash = { ...next, low: Math.min(next.low, stop * 0.99) };
    h.server.script(MODELS.sun, [
      {
        json: { type: 'decision', forecast: 1, confidence: 0.9, rationale: 'hold on' },
      },
    ]);
    const r2 = await sys.cycle({ symbol: 'SPX', bar: crash, portfolio: held });
    await sys.stop();
    expect(r2.criticalUpdates[0]).toMatch(/^stop breached: low .* <= stop/);
    expect(r2.mode).toBe(ExecutionMode.FULL_AGENT);
    expect(r2.modeReason).toMatch(/critical update/);
    expect(r2.decision).toMatchObject({ action: 'flatten', targetFraction: 0, source: 'sun' });
    expect(r2.decision.stopPrice).toBeUndefined();
    // the risk planet's multiplier is 0 on a breached stop: the sized target is flat before any clamp
    expect(r2.decision.riskMultiplier).toBe(0);
  });
});

describe('bad input', () => {
  it('rejects malformed bars, empty symbols and bars out of order', async () => {
    const sys = createSolarSystem();
    await expect(sys.cycle({ symbol: '', bar: FIRST, portfolio: FLAT })).rejects.toThrow(/symbol/);
    await expect(sys.cycle({ symbol: 'X', bar: { ...FIRST, low: -1 }, portfolio: FLAT })).rejects.toThrow(
      /bar.low/,
    );
    await expect(sys.cycle({ symbol: 'X', bar: FIRST, portfolio: { ...FLAT, equity: 0 } })).rejects.toThrow(
      /equity/,
    );
    await sys.cycle({ symbol: 'X', bar: FIRST, portfolio: FLAT });
    await expect(sys.cycle({ symbol: 'X', bar: FIRST, portfolio: FLAT })).rejects.toThrow(/not after/);
    await sys.stop();
    await expect(sys.cycle({ symbol: 'X', bar: bars[40]!, portfolio: FLAT })).rejects.toThrow(/stopped/);
  });

  it('cycles of one symbol run in call order even when not awaited; a late bar rejects alone', async () => {
    const sys = createSolarSystem();
    const five = bars.slice(0, 5);
    const pending = [
      ...five.map((bar) => sys.cycle({ symbol: 'X', bar, portfolio: FLAT })),
      sys.cycle({ symbol: 'X', bar: bars[2]!, portfolio: FLAT }),
      sys.cycle({ symbol: 'Y', bar: bars[0]!, portfolio: FLAT }),
    ];
    const settled = await Promise.allSettled(pending);
    await sys.stop();
    const times = settled.slice(0, 5).map((r) => (r.status === 'fulfilled' ? r.value.time : null));
    expect(times).toEqual(five.map((b) => b.time));
    expect(settled[4]).toMatchObject({ status: 'fulfilled', value: { planets: expect.any(Array) } });
    expect(settled[5]).toMatchObject({ status: 'rejected', reason: { field: 'bar.time' } });
    expect(settled[6]?.status).toBe('fulfilled');
  });

  it('rejects an invalid configuration naming the path', () => {
    expect(() => createSolarSystem({ config: { risk: { maxPositionFraction: 3 } } })).toThrow(
      /risk\.maxPositionFraction/,
    );
  });
});
