import { UnknownPlanetError } from '../errors.ts';
import { type ExecutionRules, executionPlanet } from './execution.ts';
import { isPlanetKind, PLANET_KINDS, type PlanetKind } from './kinds.ts';
import type { Planet } from './planet.ts';
import { riskPlanet } from './risk.ts';
import { sentimentPlanet } from './sentiment.ts';
import { type BuiltinPlanetOptions, technicalPlanet } from './technical.ts';

/** Options of a built-in planet's factory (the execution planet also reads `execution`). */
export type CreatePlanetOptions = BuiltinPlanetOptions & { execution?: Partial<ExecutionRules> };

/** One built-in planet as the registry knows it. */
export interface BuiltinPlanetEntry {
  /** What it does, for `--help`, the serve catalog and the config schema. */
  readonly summary: string;
  /**
   * Which of the sun's task settings its one LLM call uses when the sun runs it: `planetTask`
   * (`agents.sun.planetTask`, default `planet_analysis`) or `sentimentTask` (`summarise`, a task the
   * routing policy may give the local model).
   */
  readonly sunTask: 'planetTask' | 'sentimentTask';
  /** Builds the planet. */
  readonly create: (opts: CreatePlanetOptions) => Planet;
}

/**
 * The registry of built-in planets: config validation (`agents.planets.enabled`,
 * `agents.transport.planets`), the sun, `orrery serve`'s catalog and `orrery planet` all read it. A new
 * built-in planet is its own file plus one entry here (and its name in kinds.ts, which the compiler
 * checks against these keys).
 */
export const BUILTIN_PLANETS = {
  technical: {
    summary: 'the trend-following forecast of the trend moon (MA, MACD, RSI, regime and ATR as context)',
    sunTask: 'planetTask',
    create: technicalPlanet,
  },
  risk: {
    summary: 'a size multiplier in [0, 1] from volatility, drawdown, VaR and stops; never votes on direction',
    sunTask: 'planetTask',
    create: riskPlanet,
  },
  sentiment: {
    summary: 'the tone of the news passed with the bar (no news, no call)',
    sunTask: 'sentimentTask',
    create: sentimentPlanet,
  },
  execution: {
    summary:
      'how and when to trade, never which way: skips illiquid bars, market or limit order, largest order as a share of volume',
    sunTask: 'planetTask',
    create: (opts) =>
      executionPlanet({ ...opts, ...(opts.execution === undefined ? {} : { rules: opts.execution }) }),
  },
} as const satisfies Record<PlanetKind, BuiltinPlanetEntry>;

export { isPlanetKind, PLANET_KINDS, type PlanetKind };

/**
 * Creates a built-in planet to run alone (no sun), e.g. inside another service:
 * @example
 * const bank = createMoonBank({ symbol: 'SPY' });
 * const report = await createPlanet('technical', { gateway }).analyze(bank.update(bar));
 * @throws UnknownPlanetError for an unknown kind.
 */
export function createPlanet(kind: PlanetKind, opts: CreatePlanetOptions = {}): Planet {
  if (!isPlanetKind(kind)) throw new UnknownPlanetError(String(kind), PLANET_KINDS);
  return BUILTIN_PLANETS[kind].create(opts);
}
