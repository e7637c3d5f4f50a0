import { ExecutionMode } from '@orrery/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileRouting,
  createSolarSystem,
  DEFAULT_ROUTING,
  InvalidConfigError,
  pruneRouting,
} from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';
import { answerAll, runFollowing } from './helpers/system.ts';

const PLANETS = ['technical', 'risk', 'sentiment', 'execution'];
const query = (over: Record<string, unknown> = {}) => ({
  symbol: 'X',
  news: 0,
  regime: { trend: 'up', volatility: 'normal' },
  volatilityRatio: 1,
  trendForecast: 0.5,
  features: {},
  changed: [],
  critical: false,
  ...over,
});

describe('the routing tree decides who is consulted', () => {
  it('the default tree: technical always, sentiment only with news', () => {
    const r = compileRouting(DEFAULT_ROUTING, PLANETS);
    expect(r.route(query()).planets).toEqual(['technical']);
    expect(r.route(query({ news: 2 }))).toEqual({
      leaves: ['technical', 'fundamental'],
      path: [{ node: 'analysis', direction: 'both' }],
      planets: ['technical', 'sentiment'],
    });
    expect([...r.routed].sort()).toEqual(['sentiment', 'technical']);
  });

  it('invalid trees are config errors naming the key path', () => {
    const bad = (tree: unknown) => {
      try {
        compileRouting(tree, PLANETS);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidConfigError);
        return (err as InvalidConfigError).issues[0]?.path;
      }
      throw new Error('accepted');
    };
    expect(bad({ ...DEFAULT_ROUTING, right: { name: 'fundamental', planets: ['astrology'] } })).toBe(
      'routing.analysis.fundamental.planets',
    );
    expect(bad({ name: 'a', router: { rules: [], otherwise: 'left' }, left: { name: 'technical' } })).toBe(
      'routing.right',
    );
    expect(
      bad({
        name: 'a',
        router: { rules: [], otherwise: 'left' },
        left: { name: 'x', planets: ['technical'] },
        right: { name: 'x', planets: ['risk'] },
      }),
    ).toMatch(/^routing/);
    expect(
      bad({
        name: 'a',
        router: { rules: [], otherwise: 'sideways' },
        left: { name: 'technical' },
        right: { name: 'risk' },
      }),
    ).toMatch(/^routing\.router/);
  });

  it('pruning keeps the side whose planets run', () => {
    expect(pruneRouting(DEFAULT_ROUTING, ['technical', 'risk'])).toEqual({
      name: 'technical',
      planets: ['technical'],
    });
    expect(pruneRouting(DEFAULT_ROUTING, ['risk'])).toBeNull();
  });
});

describe('routing in the running system (loopback LLM)', () => {
  let h: LlmHarness;
  beforeAll(async () => {
    h = await llmHarness();
  });
  afterAll(async () => h.close());

  it('a planet off the route is not consulted and makes no call; the route is in the record', async () => {
    answerAll(h.server);
    // risk is consulted only when volatility runs above its usual level
    const routing = {
      name: 'analysis',
      router: {
        rules: [{ when: { field: 'volatilityRatio', above: 1.3 }, go: 'both' as const }],
        otherwise: 'left' as const,
      },
      left: { name: 'technical' },
      right: { name: 'risk' },
    };
    const sys = createSolarSystem({
      gateway: h.gateway,
      clock: h.clock,
      // the answer cache off: every routed cycle asks (a cache hit would be a routed cycle without a request)
      config: {
        routing,
        mode: { fullAgentStakes: 2, fullAgentFragility: 2, lowConfidence: 0 },
        cache: { enabled: false },
      },
    });
    const records = await runFollowing(sys, referenceBars());
    await sys.stop();
    const reasoned = records.filter((r) => r.mode === ExecutionMode.LIGHT_REASONING);
    const calm = reasoned.filter((r) => r.route?.path[0]?.direction === 'left');
    const agitated = reasoned.filter((r) => r.route?.path[0]?.direction === 'both');
    expect(calm.length).toBeGreaterThan(0);
    expect(agitated.length).toBeGreaterThan(0);
    for (const r of calm) {
      expect(r.route?.planets).toEqual(['technical']);
      expect(r.planets.map((p) => p.planet)).not.toContain('risk');
      expect(r.planets.map((p) => p.planet)).toContain('execution'); // not in the tree: always consulted
    }
    for (const r of agitated) expect(r.planets.find((p) => p.planet === 'risk')?.source).toBe('llm');
    // the risk planet's model was asked exactly in the cycles that routed to it, in any mode
    const riskAsked = h.server
      .requestsFor(MODELS.planet)
      .filter((q) => /risk manager/.test(promptText(q.body))).length;
    const riskRouted = records.filter((r) => r.route?.planets.includes('risk')).length;
    expect(riskAsked).toBe(riskRouted);
    expect(riskRouted).toBeLessThan(records.filter((r) => r.route !== undefined).length);
  });
});
