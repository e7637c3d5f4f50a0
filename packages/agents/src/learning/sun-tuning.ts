import type { Decision } from '../decision.ts';
import type { Planet, PlanetReport } from '../planets/planet.ts';

/**
 * Learned parameters the sun and the consensus read at every cycle (so a change takes effect at the
 * next cycle): planet vote weights and the regime playbook. A `Learner` provides one; any object with
 * these methods will do.
 */
export interface SunTuning {
  /** The vote weight of `planet` now, or undefined to keep the planet's own. */
  weightOf(planet: string): number | undefined;
  /**
   * The regime playbook's risk multiplier for `regime` (e.g. `up/normal`) now: the target position of a
   * trade is scaled by it before the risk clamp (1 = unchanged; < 1 more cautious; never negative).
   */
  riskMultiplier(regime: string): number;
  /**
   * The variant of prompt `promptId` to use for `key` (`SPY@<bar time>`), when an A/B experiment runs on
   * it (see `PromptEvolution`): its text is added to the prompt and its id recorded with the cycle.
   * The sun asks for `sun.system`.
   */
  promptVariant?(promptId: string, key: string): { variant: string; text: string } | undefined;
}

/**
 * A planet whose vote weight is read from `tuning` at every use (its own when the tuning has none), so
 * its deterministic and LLM reports carry the learned weight of the cycle they belong to.
 */
export function tunedPlanet(planet: Planet, tuning: SunTuning): Planet {
  const weight = () => tuning.weightOf(planet.name) ?? planet.weight;
  return {
    name: planet.name,
    ...(planet.role === undefined ? {} : { role: planet.role }),
    moons: planet.moons,
    get weight() {
      return weight();
    },
    assess: (input) => planet.assess(input),
    analyze: async (snapshot, opts): Promise<PlanetReport> => {
      const report = await planet.analyze(snapshot, opts);
      return { ...report, weight: weight() };
    },
  };
}

/** {@link applyPlaybook} with `tuning`'s multiplier for `regime`; the decision itself without a tuning. */
export function withPlaybook(
  tuning: SunTuning | null,
  decision: Decision,
  regime: string,
  current: number,
): Decision {
  return tuning === null ? decision : applyPlaybook(decision, regime, current, tuning.riskMultiplier(regime));
}

/**
 * Applies the regime playbook to a proposed decision: a `buy` or `sell` targets `targetFraction ×
 * multiplier` instead (a multiplier of 1, a `hold` or a `flatten` change nothing). When the scaled target
 * falls back onto the current position the decision becomes a hold; when it crosses it, the action flips
 * (a cautious regime trims what it would have added to). The risk clamp still applies afterwards.
 *
 * @param current the position held, fraction of equity.
 */
export function applyPlaybook(
  decision: Decision,
  regime: string,
  current: number,
  multiplier: number,
): Decision {
  if (decision.action === 'hold' || decision.action === 'flatten') return decision;
  if (!(multiplier >= 0) || multiplier === 1) return decision;
  const target = decision.targetFraction * multiplier;
  const note = `playbook ${regime} ×${Number(multiplier.toFixed(3))}`;
  const rationale = `${decision.rationale} (${note})`;
  if (Math.abs(target - current) < 1e-9)
    return { ...decision, action: 'hold', targetFraction: current, rationale };
  return { ...decision, action: target > current ? 'buy' : 'sell', targetFraction: target, rationale };
}
