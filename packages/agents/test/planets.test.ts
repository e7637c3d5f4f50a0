import { ExecutionMode, LLMCallLimitError } from '@orrery/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createCallAllowance,
  createMoonBank,
  createPlanet,
  type MoonSnapshot,
  PLANET_KINDS,
  type Planet,
  UnknownPlanetError,
} from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';

let h: LlmHarness;
let snapshot: MoonSnapshot;

beforeAll(async () => {
  h = await llmHarness();
  const bank = createMoonBank({ symbol: 'SPX' });
  for (const bar of referenceBars().slice(0, 120)) snapshot = bank.update(bar);
});
afterAll(async () => h.close());
beforeEach(() => h.server.reset());

const answer = { plan: ['look at trend'], signal: 0.6, confidence: 0.7, reasons: ['trend up'] };

describe('planets run alone, deterministic without a gateway', () => {
  it.each(PLANET_KINDS)('%s: a signal in [-1, 1] and a confidence in [0, 1], no LLM', async (kind) => {
    const report = await createPlanet(kind).analyze(snapshot);
    expect(report.status).toBe('ok');
    expect(report.source).toBe('deterministic');
    expect(report.llm?.outcome).toBe('skipped');
    expect(Math.abs(report.signal)).toBeLessThanOrEqual(1);
    expect(report.confidence).toBeGreaterThanOrEqual(0);
    expect(report.confidence).toBeLessThanOrEqual(1);
    expect(report.reasons.length).toBeGreaterThan(0);
  });

  it('sentiment without news is neutral with zero confidence', async () => {
    const r = await createPlanet('sentiment').analyze(snapshot);
    expect(r).toMatchObject({ signal: 0, confidence: 0 });
  });

  it('sentiment reads headlines with its lexicon', async () => {
    const r = await createPlanet('sentiment').analyze(snapshot, {
      news: ['Index rallies to a record as earnings beat', 'Analysts upgrade outlook'],
    });
    expect(r.signal).toBeGreaterThan(0.5);
    expect(r.confidence).toBeGreaterThan(0);
  });

  it('an unknown kind is a typed error', () => {
    expect(() => createPlanet('astrology' as never)).toThrow(UnknownPlanetError);
  });
});

describe('planets with the real gateway on the loopback LLM server', () => {
  it('makes one planner-executor call and reports the model’s answer', async () => {
    h.server.script(MODELS.planet, [{ json: answer }]);
    const r = await createPlanet('technical', { gateway: h.gateway }).analyze(snapshot);
    expect(r).toMatchObject({ source: 'llm', signal: 0.6, confidence: 0.7, reasons: ['trend up'] });
    expect(r.llm).toMatchObject({ outcome: 'answered', provider: 'openai', model: MODELS.planet });
    expect(h.server.requests).toHaveLength(1);
    const text = promptText(h.server.requests[0]?.body);
    expect(text).toMatch(/First plan which readings matter, then carry out the plan/);
    expect(text).toMatch(/"rsi":\{"rsi":/);
    expect(text).toMatch(/Deterministic analysis: signal/);
  });

  it('MONITOR_ONLY never calls', async () => {
    const r = await createPlanet('risk', { gateway: h.gateway }).analyze(snapshot, {
      mode: ExecutionMode.MONITOR_ONLY,
    });
    expect(r.source).toBe('deterministic');
    expect(h.server.requests).toHaveLength(0);
  });

  it('an invalid answer falls back to the deterministic analysis, recorded as invalid', async () => {
    h.server.script(MODELS.planet, [{ json: { signal: 7 } }]);
    const planet = createPlanet('execution', { gateway: h.gateway });
    const r = await planet.analyze(snapshot);
    expect(r.source).toBe('deterministic');
    expect(r.llm?.outcome).toBe('invalid');
    expect(r.signal).toBe(planet.assess({ snapshot }).signal);
  });

  it('a 429 falls back quietly; the next call is refused by the cooldown without reaching the server', async () => {
    const g = await llmHarness();
    try {
      g.server.script(MODELS.planet, [{ status: 429, retryAfter: 30 }]);
      const planet = createPlanet('technical', { gateway: g.gateway });
      const first = await planet.analyze(snapshot);
      expect(first.llm?.outcome).toBe('failed');
      expect(first.llm?.code).toBe('ORRERY_LLM_RATE_LIMITED');
      const second = await planet.analyze(snapshot);
      expect(second.llm?.outcome).toBe('refused');
      expect(g.server.requestsFor(MODELS.planet)).toHaveLength(1);
    } finally {
      await g.close();
    }
  });

  it('sentiment summarises news with the local model (a trivial task)', async () => {
    h.server.script(MODELS.local, [
      { json: { summary: 'Profit warning', sentiment: -0.8, confidence: 0.6 } },
    ]);
    const r = await createPlanet('sentiment', { gateway: h.gateway }).analyze(snapshot, {
      news: ['Company issues profit warning'],
    });
    expect(r).toMatchObject({ source: 'llm', signal: -0.8, confidence: 0.6, reasons: ['Profit warning'] });
    expect(h.server.requestsFor(MODELS.local)).toHaveLength(1);
  });
});

describe('the call contract: at most one LLM call per planet per cycle', () => {
  it('a planet that tries a second call gets LLMCallLimitError and the gateway never sees it', async () => {
    h.server.setDefault(() => ({ json: answer }));
    const greedy: Planet = {
      name: 'greedy',
      weight: 1,
      moons: [],
      assess: () => ({ signal: 0, confidence: 0, reasons: [] }),
      async analyze(_snapshot, opts = {}) {
        const req = { task: 'planet_analysis', messages: [{ role: 'user' as const, content: 'x' }] };
        await opts.allowance?.execute(req);
        await opts.allowance?.execute(req);
        return {
          planet: 'greedy',
          status: 'ok',
          source: 'llm',
          weight: 1,
          signal: 0,
          confidence: 0,
          reasons: [],
        };
      },
    };
    const allowance = createCallAllowance(h.gateway, 'planet:greedy', 1);
    const err = await greedy.analyze(snapshot, { allowance }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LLMCallLimitError);
    expect((err as LLMCallLimitError).agent).toBe('planet:greedy');
    expect((err as LLMCallLimitError).code).toBe('ORRERY_LLM_CALL_LIMIT');
    expect(h.server.requests).toHaveLength(1);
    expect(allowance.used).toBe(1);
    expect(allowance.usage.calls).toBe(1);
    expect(allowance.usage.tokensIn).toBeGreaterThan(0);
  });

  it('a spent allowance handed to a built-in planet propagates the limit error without a request', async () => {
    h.server.setDefault(() => ({ json: answer }));
    const allowance = createCallAllowance(h.gateway, 'planet:technical', 1);
    await createPlanet('technical').analyze(snapshot, { allowance });
    await expect(createPlanet('technical').analyze(snapshot, { allowance })).rejects.toBeInstanceOf(
      LLMCallLimitError,
    );
    expect(h.server.requests).toHaveLength(1);
  });
});
