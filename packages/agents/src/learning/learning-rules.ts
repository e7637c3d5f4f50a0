import type { LearningSettings, OutcomeEvidence } from './learning-settings.ts';

/** Outcomes counted for one subject (a planet's directional calls, or a regime's positioned bars). */
export interface Tally {
  /** Outcomes counted. */
  n: number;
  /** Hits: the planet called the move's direction; the regime's position gained. */
  hits: number;
}

/** What a parameter was set from: the measured rate, its shrunk value and the rule's inputs. */
export interface RuleEvidence extends Tally {
  /** `hits / n`. */
  rate: number;
  /** `(hits + priorStrength / 2) / (n + priorStrength)`: the rate shrunk towards 50 %. */
  shrunk: number;
  minSamples: number;
  priorStrength: number;
  /** The configured (prior) value of the parameter. */
  prior: number;
}

/** The subjects one outcome counts for: `planet:<name>` and `regime:<label>`, each with a hit or a miss. */
export function tallyOutcome(e: OutcomeEvidence, s: LearningSettings): { subject: string; hit: boolean }[] {
  const out: { subject: string; hit: boolean }[] = [];
  if (e.move !== 0) {
    for (const p of e.planets) {
      if (Math.abs(p.signal) < s.minSignal || p.confidence <= 0) continue;
      out.push({ subject: `planet:${p.planet}`, hit: Math.sign(p.signal) === Math.sign(e.move) });
    }
  }
  const gain = e.position * e.move;
  if (e.regime !== undefined && gain !== 0) out.push({ subject: `regime:${e.regime}`, hit: gain > 0 });
  return out;
}

/** The shrunk rate of a tally, with the rule's inputs, for a parameter whose prior is `prior`. */
export function ruleEvidence(t: Tally, s: LearningSettings, prior: number): RuleEvidence {
  return {
    n: t.n,
    hits: t.hits,
    rate: t.n === 0 ? 0 : t.hits / t.n,
    shrunk: (t.hits + s.priorStrength / 2) / (t.n + s.priorStrength),
    minSamples: s.minSamples,
    priorStrength: s.priorStrength,
    prior,
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * A planet's learned vote weight: its prior × 2 × its shrunk directional hit rate (a coin-flipper keeps
 * its prior, a planet right 60 % of the time gains about 20 %), the factor held within
 * `weightFactor`, rounded to 3 decimals. Before `minSamples` outcomes: the prior.
 */
export function learnedWeight(e: RuleEvidence, s: LearningSettings): number {
  if (e.n < s.minSamples) return e.prior;
  return round(e.prior * clamp(2 * e.shrunk, s.weightFactor.min, s.weightFactor.max));
}

/**
 * A regime's learned risk multiplier: 2 × the shrunk rate at which positions held in it gained, held
 * within `riskMultiplier`, rounded to 3 decimals. Before `minSamples` outcomes: the prior (1).
 */
export function learnedRiskMultiplier(e: RuleEvidence, s: LearningSettings): number {
  if (e.n < s.minSamples) return e.prior;
  return round(clamp(2 * e.shrunk, s.riskMultiplier.min, s.riskMultiplier.max));
}

/** The playbook's stance for a multiplier, for people reading the changes. */
export function stanceOf(multiplier: number): 'normal' | 'cautious' | 'defensive' {
  if (multiplier >= 0.95) return 'normal';
  return multiplier >= 0.6 ? 'cautious' : 'defensive';
}
