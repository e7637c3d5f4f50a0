import { UnknownPlanetError } from '../errors.ts';
import { type ExecutionRules, executionPlanet } from './execution.ts';
import type { Planet } from './planet.ts';
import { riskPlanet } from './risk.ts';
import { sentimentPlanet } from './sentiment.ts';
import { type BuiltinPlanetOptions, technicalPlanet } from './technical.ts';

/** The built-in planet kinds. */
export const PLANET_KINDS = ['technical', 'risk', 'sentiment', 'execution'] as const;
/** One of {@link PLANET_KINDS}. */
export type PlanetKind = (typeof PLANET_KINDS)[number];

/**
 * Creates a built-in planet to run alone (no sun), e.g. inside another service:
 * @example
 * const bank = createMoonBank({ symbol: 'SPY' });
 * const report = await createPlanet('technical', { gateway }).analyze(bank.update(bar));
 * @throws UnknownPlanetError for an unknown kind.
 */
export function createPlanet(
  kind: PlanetKind,
  opts: BuiltinPlanetOptions & { execution?: Partial<ExecutionRules> } = {},
): Planet {
  switch (kind) {
    case 'technical':
      return technicalPlanet(opts);
    case 'risk':
      return riskPlanet(opts);
    case 'sentiment':
      return sentimentPlanet(opts);
    case 'execution':
      return executionPlanet({
        ...opts,
        ...(opts.execution === undefined ? {} : { rules: opts.execution }),
      });
    default: {
      const never: never = kind;
      throw new UnknownPlanetError(String(never), PLANET_KINDS);
    }
  }
}
