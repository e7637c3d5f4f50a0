import type { LlmServer } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CycleRecord, createSolarSystem, type SolarSystemConfigInput } from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { agentsGatewayConfig, type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';
import { answerAll, runBars } from './helpers/system.ts';

const ROUTER = 'router-model';

/** Every post-warm-up bar is a FULL_AGENT cycle; the routing LLM is on. */
const CONFIG: SolarSystemConfigInput = {
  mode: { minChangedForLight: 0, fullAgentStakes: 0 },
  materialChange: { warmupBars: 30 },
  cache: { enabled: false },
  routingLlm: { enabled: true },
};

describe('agents.routingLlm: one LLM call routes a FULL_AGENT cycle through the tree', () => {
  let h: LlmHarness;
  beforeAll(async () => {
    const rules = agentsGatewayConfig({ url: 'http://127.0.0.1:1' } as LlmServer).routing!;
    h = await llmHarness({
      routing: {
        ...rules,
        rules: { ...rules.rules, query_routing: { prefer: [{ provider: 'openai', model: ROUTER }] } },
      },
    });
    answerAll(h.server);
  });
  afterAll(async () => h.close());

  const technical = (m: string) =>
    h.server.requestsFor(m).filter((r) => promptText(r.body).includes('You are the technical analyst'));

  const run = async (config: SolarSystemConfigInput): Promise<CycleRecord[]> => {
    const sys = createSolarSystem({ gateway: h.gateway, clock: h.clock, config });
    try {
      return await runBars(sys, referenceBars().slice(0, 40));
    } finally {
      await sys.stop();
    }
  };

  it("the model's direction replaces the rule: planets off its route are not consulted and make no call", async () => {
    h.server.reset();
    h.server.script(
      ROUTER,
      Array.from({ length: 40 }, () => ({ json: { routes: { analysis: 'right' }, reason: 'news matters' } })),
    );
    const full = (await run(CONFIG)).filter((r) => r.mode === 'FULL_AGENT');
    expect(full.length).toBeGreaterThan(5);
    for (const r of full) {
      expect(r.route).toMatchObject({
        leaves: ['fundamental'],
        planets: ['sentiment'],
        byLlm: ['analysis'],
        path: [{ node: 'analysis', direction: 'right' }],
      });
      expect(r.route?.llmError).toBeUndefined();
      expect(r.planets.map((p) => p.planet)).not.toContain('technical');
    }
    // one routing call per FULL_AGENT cycle, shown the tree and the rule's choice; technical never asked
    const asked = h.server.requestsFor(ROUTER);
    expect(asked).toHaveLength(full.length);
    expect(promptText(asked[0]!.body)).toContain(
      'analysis: left = technical (technical), right = fundamental (sentiment); the rule says left',
    );
    expect(technical(MODELS.planet)).toHaveLength(0);
    // (the risk and execution planets are off the tree: consulted and asked as always)
    expect(h.server.requestsFor(MODELS.planet).length).toBeGreaterThan(0);
  });

  it('a failed or useless answer leaves the rules route, says why, and still counts as a call', async () => {
    h.server.reset();
    // no script: the loopback answers 404 for the router's model (a provider error)
    const failed = (await run(CONFIG)).filter((r) => r.mode === 'FULL_AGENT');
    expect(failed.length).toBeGreaterThan(5);
    for (const r of failed) {
      expect(r.route?.planets).toEqual(['technical']);
      expect(r.route?.byLlm).toBeUndefined();
      expect(r.route?.llmError).toMatch(/\S/);
    }
    expect(h.server.requestsFor(ROUTER).length).toBe(failed.length);
    // the failed routing call is in each record's calls, beside the sun's and the planets'
    const withoutRouter = (await run({ ...CONFIG, routingLlm: { enabled: false } })).filter(
      (r) => r.mode === 'FULL_AGENT',
    );
    expect(failed.map((r) => r.calls)).toEqual(withoutRouter.map((r) => r.calls + 1));

    h.server.reset();
    h.server.script(
      ROUTER,
      Array.from({ length: 40 }, () => ({ json: { routes: { astrology: 'both' } } })),
    );
    const useless = (await run(CONFIG)).filter((r) => r.mode === 'FULL_AGENT');
    for (const r of useless) {
      expect(r.route?.planets).toEqual(['technical']);
      expect(r.route?.llmError).toMatch(/named no node of the tree/);
    }
  });

  it('off by default: no routing call', async () => {
    h.server.reset();
    const { routingLlm: _, ...off } = CONFIG;
    const full = (await run(off)).filter((r) => r.mode === 'FULL_AGENT');
    expect(full.length).toBeGreaterThan(5);
    expect(h.server.requestsFor(ROUTER)).toHaveLength(0);
    for (const r of full) expect(r.route?.byLlm).toBeUndefined();
    // the rules' route asks the technical planet
    expect(technical(MODELS.planet).length).toBe(full.length);
  });
});
