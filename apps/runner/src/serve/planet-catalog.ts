import {
  createPlanet,
  isPlanetKind,
  type LLMCaller,
  PLANET_KINDS,
  type Planet,
  type PlanetKind,
} from '@orrery/agents';

/** The planets a server hosts, by name. */
export interface PlanetCatalog {
  /** The names served, sorted. */
  readonly names: readonly string[];
  /**
   * A planet bound to `caller` (its one LLM call per analysis goes there), or `undefined` for a name not
   * hosted. `caller: null` gives the deterministic planet.
   */
  create(name: string, caller: LLMCaller | null): Planet | undefined;
}

/**
 * A catalog of built-in planets.
 * @param kinds which built-in kinds are hosted (default: all of `PLANET_KINDS`).
 * @param weights vote weight per name (default 1), e.g. the runner config's `agents.planets.weights`.
 */
export function builtinPlanetCatalog(
  kinds: readonly PlanetKind[] = PLANET_KINDS,
  weights: Readonly<Record<string, number>> = {},
): PlanetCatalog {
  const hosted = new Set<string>(kinds);
  return {
    names: [...hosted].sort(),
    create(name, caller) {
      if (!hosted.has(name) || !isPlanetKind(name)) return undefined;
      return createPlanet(name, { gateway: caller, weight: weights[name] ?? 1 });
    },
  };
}
