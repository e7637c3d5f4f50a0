/**
 * The names of the built-in planets, alone: what a command line or a config check needs without loading
 * the planets themselves (`@orrery/agents/planet-kinds`). `BUILTIN_PLANETS` (create-planet.ts) has exactly
 * one entry per name; the compiler holds the two together.
 */
export const PLANET_KINDS = ['technical', 'risk', 'sentiment', 'execution'] as const;

/** One of {@link PLANET_KINDS}. */
export type PlanetKind = (typeof PLANET_KINDS)[number];

/** True when `name` is a built-in planet kind. */
export function isPlanetKind(name: string): name is PlanetKind {
  return (PLANET_KINDS as readonly string[]).includes(name);
}
