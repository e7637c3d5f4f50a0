import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BUILTIN_PLANETS,
  createPlanet,
  createSolarSystem,
  InvalidConfigError,
  isPlanetKind,
  PLANET_KINDS,
  parseSolarSystemConfig,
  solarSystemConfigSchema,
} from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { agentsGatewayConfig, type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';
import { ANSWERS, FLAT } from './helpers/system.ts';

/** Every consumer reads the registry: each test runs over all of its entries, so one added there is checked. */
describe('the built-in planet registry', () => {
  it('names each planet by its key, and createPlanet builds every entry', () => {
    expect(PLANET_KINDS).toEqual(Object.keys(BUILTIN_PLANETS));
    for (const kind of PLANET_KINDS) {
      expect(createPlanet(kind).name).toBe(kind);
      expect(isPlanetKind(kind)).toBe(true);
      expect(BUILTIN_PLANETS[kind].summary.length).toBeGreaterThan(10);
    }
    expect(isPlanetKind('astrology')).toBe(false);
    expect(isPlanetKind('toString')).toBe(false); // own keys only, not the prototype's
  });

  it('config validation accepts every registered kind and names the key of an unknown one', () => {
    for (const kind of PLANET_KINDS) {
      const c = parseSolarSystemConfig({
        planets: { enabled: [kind] },
        transport: { kind: 'nats', url: 'nats://127.0.0.1:4222', planets: [kind] },
      });
      expect(c.planets.enabled).toEqual([kind]);
    }
    expect(parseSolarSystemConfig({}).planets.enabled).toEqual(PLANET_KINDS);
    const issues = (input: unknown) => {
      try {
        parseSolarSystemConfig(input as never);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidConfigError);
        return (err as InvalidConfigError).issues.map((i) => i.path);
      }
      return [];
    };
    expect(issues({ planets: { enabled: ['astrology'] } })).toEqual(['planets.enabled.0']);
    expect(
      issues({
        transport: { kind: 'nats', url: 'nats://127.0.0.1:4222', planets: ['technical', 'astrology'] },
      }),
    ).toEqual(['transport.planets.1']);
  });

  it("the config's JSON Schema lists exactly the registered kinds", () => {
    const schema = z.toJSONSchema(solarSystemConfigSchema, {
      io: 'input',
      unrepresentable: 'any',
    }) as unknown as {
      properties: { planets: { properties: { enabled: { items: { enum: string[] } } } } };
    };
    expect(schema.properties.planets.properties.enabled.items.enum).toEqual(PLANET_KINDS);
  });

  it('a spec planet may not take a registered name', () => {
    for (const kind of PLANET_KINDS) {
      expect(() =>
        parseSolarSystemConfig({
          planets: {
            specs: [
              {
                name: kind,
                moons: ['rsi'],
                prompt: 'RSI {{rsi.rsi}}',
                answer: { type: 'object', properties: { signal: { type: 'number' } } },
                rules: [],
              },
            ],
          },
        }),
      ).toThrow(`'${kind}' is already a built-in planet's name`);
    }
  });
});

describe('the sun gives each registered planet the task its entry names (agents.sun.planetTask / sentimentTask)', () => {
  const NEWS_MODEL = 'news-model';
  let h: LlmHarness;
  beforeAll(async () => {
    const rules = agentsGatewayConfig({ url: 'http://127.0.0.1:1' } as never).routing!;
    h = await llmHarness({
      routing: {
        ...rules,
        rules: {
          ...rules.rules,
          analyse_alpha: { prefer: [{ provider: 'openai', model: MODELS.planet }] },
          news_beta: { prefer: [{ provider: 'openai', model: NEWS_MODEL }] },
        },
      },
    });
    h.server.setDefault((req) => {
      if (req.model === NEWS_MODEL) return { json: ANSWERS.sentiment };
      if (req.model === MODELS.planet) return { json: ANSWERS.planet };
      if (req.model === MODELS.sun || req.model === MODELS.backupSun) return { json: ANSWERS.sun };
      if (req.model === MODELS.critic) return { json: ANSWERS.critic };
      if (req.model === MODELS.notes)
        return {
          json: promptText(req.body).includes('fragility card') ? ANSWERS.fragility : ANSWERS.summary,
        };
      return { status: 404, message: `unknown model ${req.model}` };
    });
  });
  afterAll(async () => h.close());

  it('sentimentTask for the sentiment planet, planetTask for the others', async () => {
    const sys = createSolarSystem({
      gateway: h.gateway,
      clock: h.clock,
      config: {
        mode: { minChangedForLight: 0, fullAgentStakes: 0 },
        materialChange: { warmupBars: 30 },
        cache: { enabled: false },
        sun: { planetTask: 'analyse_alpha', sentimentTask: 'news_beta' },
      },
    });
    try {
      for (const bar of referenceBars().slice(0, 40)) {
        await sys.cycle({ symbol: 'SPX', bar, portfolio: FLAT, news: ['Shares rally on strong earnings'] });
      }
    } finally {
      await sys.stop();
    }
    const news = h.server.requestsFor(NEWS_MODEL);
    const analysis = h.server.requestsFor(MODELS.planet);
    expect(news.length).toBeGreaterThan(0);
    expect(analysis.length).toBeGreaterThan(0);
    for (const r of news) expect(promptText(r.body)).toContain('Summarise the news');
    for (const r of analysis) expect(promptText(r.body)).not.toContain('Summarise the news');
    // which entries ask through which setting: sentiment alone through sentimentTask
    expect(PLANET_KINDS.filter((k) => BUILTIN_PLANETS[k].sunTask === 'sentimentTask')).toEqual(['sentiment']);
  });
});
