import { ManualClock } from '@orrery/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createSolarSystem,
  InvalidConfigError,
  type PlanetSpecInput,
  parseSolarSystemConfig,
} from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { runBars } from './helpers/system.ts';

const bars = referenceBars();

const fade: PlanetSpecInput = {
  name: 'fade',
  moons: ['rsi'],
  prompt: '{{symbol}}: RSI {{rsi.rsi}}. Fade extremes.',
  answer: {
    type: 'object',
    properties: { signal: { type: 'number' }, confidence: { type: 'number' } },
  },
  rules: [
    { when: { moon: 'rsi', field: 'rsi', op: '>', value: 70 }, signal: -0.5, confidence: 0.6 },
    { when: { moon: 'rsi', field: 'rsi', op: '<', value: 30 }, signal: 0.5, confidence: 0.6 },
  ],
};

function issuesOf(input: unknown): string[] {
  try {
    parseSolarSystemConfig(input as never);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidConfigError);
    return (err as InvalidConfigError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('agents.planets.specs: planets from declarative specs, by config', () => {
  it('a spec in the config is one more forecast planet of every cycle, its rules its deterministic analysis', async () => {
    const sys = createSolarSystem({ config: { planets: { specs: [fade] } } });
    const records = await runBars(sys, bars.slice(0, 80));
    const reports = records.map((r) => r.planets.find((p) => p.planet === 'fade'));
    expect(reports.every((p) => p?.status === 'ok' && p.role === 'forecast')).toBe(true);
    // Its rules fire exactly where the RSI is past them, and it abstains elsewhere.
    for (const [i, r] of records.entries()) {
      const rsi = r.inputs?.readings.rsi.rsi ?? null;
      const expected = rsi === null ? 0 : rsi > 70 ? -0.5 : rsi < 30 ? 0.5 : 0;
      expect(reports[i]?.signal).toBe(expected);
    }
    expect(reports.some((p) => p?.signal !== 0)).toBe(true);
    await sys.stop();
  });

  it('a bad spec is a config error naming its key path', () => {
    const issues = issuesOf({
      planets: {
        specs: [
          {
            ...fade,
            rules: [{ ...fade.rules![0]!, when: { moon: 'rsi', field: 'rsii', op: '>', value: 1 } }],
          },
          { ...fade, name: 'technical' },
          { ...fade, name: 'x', moons: ['tea-leaves'], prompt: 'look', rules: [] },
          { ...fade, name: 'y', answer: { type: 'object', properties: { signal: { type: 'number' } } } },
          { ...fade, name: 'z', extra: true },
        ],
      },
    });
    expect(issues.sort()).toEqual([
      "planets.specs.0.rules.0.when.field: moon 'rsi' has no field 'rsii' (fields: rsi)",
      "planets.specs.1.name: 'technical' is already a built-in planet's name",
      expect.stringMatching(/^planets\.specs\.2\.moons\.0: unknown moon 'tea-leaves' \(known: rsi, macd,/),
      "planets.specs.3.answer.properties.confidence: the answer must have a number property 'confidence' in [0, 1]",
      'planets.specs.4: Unrecognized key: "extra"',
    ]);
  });

  it('two specs with one name are refused', () => {
    expect(issuesOf({ planets: { specs: [fade, fade] } })).toEqual([
      "planets.specs.1.name: 'fade' is already another spec's name",
    ]);
  });

  it('a rule on a field that is not a number fails the planet every cycle; supervision stops it in wall-clock time, not bar time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 }), async (maxRestarts) => {
        // The injected (wall) clock stands still while the bars advance by a day each: bar time must not
        // open a fresh restart window per bar.
        const clock = new ManualClock();
        const words = {
          ...fade,
          name: 'words',
          moons: ['regime'],
          prompt: '{{regime.trend}}',
          rules: [{ when: { moon: 'regime', field: 'trend', op: '>', value: 0 }, signal: 1, confidence: 1 }],
        } satisfies PlanetSpecInput;
        const sys = createSolarSystem({
          clock,
          config: { planets: { specs: [words] }, supervision: { maxRestarts, windowMs: 60_000 } },
        });
        const records = await runBars(sys, bars.slice(0, 60));
        const verdicts = records.flatMap((r) => r.faults.map((f) => f.verdict));
        expect(verdicts).toEqual([...Array.from({ length: maxRestarts }, () => 'restart'), 'stop']);
        const first = records.find((r) => r.faults.length > 0)!;
        expect(first.faults[0]).toMatchObject({ child: 'planet:words', code: 'ORRERY_AGENTS_INVALID_SPEC' });
        expect(first.faults[0]?.error).toMatch(/rule 0 reads regime\.trend, which is "\w+", not a number/);
        expect(records.at(-1)?.planets.find((p) => p.planet === 'words')?.status).toBe('stopped');
        expect(sys.health()[0]?.stopped).toEqual(['planet:words']);
        await sys.stop();
      }),
      { numRuns: 5 },
    );
  });
});
