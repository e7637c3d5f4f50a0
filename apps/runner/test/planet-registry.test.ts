import { PLANET_KINDS } from '@orrery/agents';
import { describe, expect, it } from 'vitest';
import { orreryJsonSchema } from '../src/config/schema.ts';
import { builtinPlanetCatalog } from '../src/serve/planet-catalog.ts';

/** The runner's consumers of the agents' planet registry: each runs over every registered kind. */
describe('the runner reads the planet registry', () => {
  it("serve's catalog hosts every registered planet by name", () => {
    const catalog = builtinPlanetCatalog();
    expect(catalog.names).toEqual([...PLANET_KINDS].sort());
    for (const kind of PLANET_KINDS) expect(catalog.create(kind, null)?.name).toBe(kind);
    expect(catalog.create('astrology', null)).toBeUndefined();
  });

  it('orrery config schema lists exactly the registered kinds under agents.planets.enabled', () => {
    const schema = orreryJsonSchema() as {
      properties: {
        agents: { properties: { planets: { properties: { enabled: { items: { enum: string[] } } } } } };
      };
    };
    expect(schema.properties.agents.properties.planets.properties.enabled.items.enum).toEqual(PLANET_KINDS);
  });
});
