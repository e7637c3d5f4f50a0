import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMoonBank,
  createSolarSystem,
  InvalidPlanetSpecError,
  type MoonSnapshot,
  type PlanetSpecInput,
  parsePlanetSpec,
  planetFromSpec,
} from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';
import { answerAll, runBars } from './helpers/system.ts';

const spec: PlanetSpecInput = {
  name: 'mean-reversion',
  role: 'mean-reversion trader',
  moons: ['rsi', 'bollinger'],
  prompt: '{{symbol}} closed at {{close}}; RSI {{rsi.rsi}}, %B {{bollinger.percentB}}. Fade extremes.',
  answer: {
    type: 'object',
    properties: {
      signal: { type: 'number', minimum: -1, maximum: 1 },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
      reasons: { type: 'array', items: { type: 'string' } },
      stretched: { type: 'boolean' },
    },
    required: ['reasons'],
  },
  weight: 0.8,
  rules: [
    { when: { moon: 'rsi', field: 'rsi', op: '>', value: 70 }, signal: -0.6, confidence: 0.5 },
    { when: { moon: 'rsi', field: 'rsi', op: '<', value: 30 }, signal: 0.6, confidence: 0.5 },
  ],
};

let snapshot: MoonSnapshot;
let h: LlmHarness;
beforeAll(async () => {
  h = await llmHarness();
  const bank = createMoonBank({ symbol: 'SPX' });
  for (const bar of referenceBars().slice(0, 60)) snapshot = bank.update(bar);
});
afterAll(async () => h.close());

function issuesOf(input: unknown): string[] {
  try {
    parsePlanetSpec(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidPlanetSpecError);
    expect((err as InvalidPlanetSpecError).code).toBe('ORRERY_AGENTS_INVALID_SPEC');
    return (err as InvalidPlanetSpecError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('planets from declarative specs', () => {
  it('a valid spec becomes a planet whose rules are its deterministic analysis', async () => {
    const planet = planetFromSpec(spec);
    expect(planet).toMatchObject({ name: 'mean-reversion', weight: 0.8, moons: ['rsi', 'bollinger'] });
    const hot = { ...snapshot, readings: { ...snapshot.readings, rsi: { rsi: 80 } } };
    expect(planet.assess({ snapshot: hot })).toMatchObject({ signal: -0.6, confidence: 0.5 });
    const calm = { ...snapshot, readings: { ...snapshot.readings, rsi: { rsi: 50 } } };
    const r = await planet.analyze(calm);
    expect(r).toMatchObject({ signal: 0, confidence: 0, source: 'deterministic' });
  });

  it('its one call fills the template and validates the answer against the described schema', async () => {
    h.server.reset();
    h.server.script(MODELS.planet, [
      { json: { signal: 0.4, confidence: 0.9, reasons: ['oversold bounce'], stretched: true } },
      { json: { signal: 3, confidence: 0.9, reasons: ['too much'] } },
    ]);
    const planet = planetFromSpec(spec, { gateway: h.gateway });
    const ok = await planet.analyze(snapshot);
    expect(ok).toMatchObject({ source: 'llm', signal: 0.4, confidence: 0.9, reasons: ['oversold bounce'] });
    const text = promptText(h.server.requests[0]?.body);
    expect(text).toContain(
      `SPX closed at ${Number(snapshot.bar.close.toPrecision(6))}; RSI ${Number(snapshot.readings.rsi.rsi!.toPrecision(6))}`,
    );
    expect(text).toContain('"stretched":{"type":"boolean"}');
    const bad = await planet.analyze(snapshot);
    expect(bad.llm?.outcome).toBe('invalid');
    expect(bad.source).toBe('deterministic');
  });

  it('runs live inside a solar system and votes in the consensus', async () => {
    h.server.reset();
    answerAll(h.server);
    const sys = createSolarSystem({
      config: { mode: { fullAgentStakes: 2, fullAgentFragility: 2, lowConfidence: 0 } },
      gateway: h.gateway,
      clock: h.clock,
      planets: [() => planetFromSpec({ ...spec, task: 'spec_planet' })],
    });
    const records = await runBars(sys, referenceBars().slice(0, 36));
    await sys.stop();
    const r = records[35]!;
    expect(r.mode).toBe('LIGHT_REASONING');
    expect(r.planets.map((p) => p.planet)).toContain('mean-reversion');
    expect(r.planets.find((p) => p.planet === 'mean-reversion')?.status).toBe('ok');
  });

  it('an invalid spec is rejected with every problem and its path', () => {
    expect(issuesOf(spec)).toEqual([]);
    expect(issuesOf({ ...spec, name: 'Bad Name' })[0]).toMatch(/^name: lower-case letters/);
    expect(issuesOf({ ...spec, moons: ['rsi', 'bollinger', 'tea-leaves'] })).toEqual([
      expect.stringMatching(/^moons\.2: unknown moon 'tea-leaves'/),
    ]);
    const noSignal = {
      ...spec,
      answer: { type: 'object', properties: { confidence: { type: 'number' } }, required: ['reasons'] },
    };
    expect(issuesOf(noSignal)).toEqual([
      "answer.properties.signal: the answer must have a number property 'signal' in [-1, 1]",
      "answer.required.0: 'reasons' is required but not a property",
    ]);
    expect(issuesOf({ ...spec, prompt: 'RSI {{macd.histogram}}' })).toEqual([
      "prompt: placeholder {{macd.histogram}} reads moon 'macd', which is not in moons",
    ]);
    expect(
      issuesOf({
        ...spec,
        rules: [{ when: { moon: 'atr', field: 'atr', op: '>', value: 1 }, signal: 1, confidence: 1 }],
      }),
    ).toEqual(["rules.0.when.moon: rule reads moon 'atr', which is not in moons"]);
    expect(
      issuesOf({
        ...spec,
        answer: { ...spec.answer, properties: { ...spec.answer.properties, x: { type: 'date' } } },
      })[0],
    ).toMatch(/^answer\.properties\.x/);
    expect(issuesOf('not a spec')[0]).toMatch(/^\(root\)/);
    expect(() => planetFromSpec({ ...spec, weight: -1 })).toThrow(
      /invalid planet spec 'mean-reversion': weight/,
    );
  });
});
