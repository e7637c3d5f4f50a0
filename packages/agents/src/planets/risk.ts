import { definePlanet } from './define-planet.ts';
import { clamp, fmt, type Planet, type PlanetAssessment, type PlanetInput } from './planet.ts';
import { planetMessages } from './prompt.ts';
import type { BuiltinPlanetOptions } from './technical.ts';

const MOONS = ['volatility', 'drawdown', 'var', 'regime', 'sizing', 'alerts'] as const;
/** Of the regime it reads the volatility level only: the trend's direction is not a risk input. */
const FIELDS = { regime: ['volatility'] } as const;

/** z of a one-sided 95 % normal quantile: the VaR of a normal one-bar return is 1.645 σ. */
const Z95 = 1.645;

/**
 * How fragile the situation is, in [0, 1], each part measured against the asset's OWN usual level:
 * - vol: realised volatility over its long-run level (ratio 1 → 0, ratio 2.5 → 1);
 * - dd: the drawdown from the rolling one-year peak (0 → 0, 40 % → 1);
 * - var: the historical one-bar 95 % VaR over the VaR a normal distribution with the long-run volatility
 *   would have (1 → 0, 2.5 → 1): fat tails, not "a volatile asset";
 * - stop: 1 when a protective stop was crossed.
 * The largest part. An input of mode selection, the critic's trigger and the risk multiplier.
 */
export function fragilityOf(input: PlanetInput): { fragility: number; parts: Record<string, number> } {
  const r = input.snapshot.readings;
  const vol = r.volatility.ratio === null ? 0 : clamp((r.volatility.ratio - 1) / 1.5, 0, 1);
  const dd = r.drawdown.drawdown === null ? 0 : clamp(r.drawdown.drawdown / 0.4, 0, 1);
  const { sigmaLong, periodsPerYear } = r.sizing;
  const normalVar =
    sigmaLong !== null && periodsPerYear !== null ? (Z95 * sigmaLong) / Math.sqrt(periodsPerYear) : null;
  const v =
    r.var.var === null || normalVar === null || !(normalVar > 0)
      ? 0
      : clamp((r.var.var / normalVar - 1) / 1.5, 0, 1);
  const stop = r.alerts.stopBreached ? 1 : 0;
  return { fragility: Math.max(vol, dd, v, stop), parts: { vol, dd, var: v, stop } };
}

/**
 * The size multiplier of a fragility: 1 up to a fragility of 1/3, then down linearly to 0.5 at 1; 0 when
 * a stop was breached. It scales the target weight; it never changes the sign of a position.
 */
export function riskMultiplierOf(fragility: number, stopBreached: boolean): number {
  if (stopBreached) return 0;
  return 1 - 0.5 * clamp((fragility - 1 / 3) / (2 / 3), 0, 1);
}

/**
 * The risk planet's deterministic analysis: a multiplier in [0, 1] on size (`data.multiplier`), from
 * {@link fragilityOf}. It never votes on direction (its signal is 0). Its hard limits are not here: they
 * live in the configuration and clamp every decision (see `clampDecision`).
 */
export function assessRisk(input: PlanetInput): PlanetAssessment {
  const r = input.snapshot.readings;
  const { fragility, parts } = fragilityOf(input);
  const multiplier = riskMultiplierOf(fragility, r.alerts.stopBreached);
  const reasons = [`fragility ${fmt(fragility, 3)}: size x ${fmt(multiplier, 3)}`];
  if (r.volatility.ratio !== null) reasons.push(`volatility ${fmt(r.volatility.ratio, 3)}x its usual level`);
  if (r.drawdown.drawdown !== null)
    reasons.push(`${fmt(r.drawdown.drawdown * 100, 3)} % below the one-year high`);
  if (r.var.var !== null) reasons.push(`one-bar 95 % VaR ${fmt(r.var.var * 100, 3)} %`);
  if (r.alerts.stopBreached) reasons.push('stop breached');
  return {
    signal: 0,
    confidence: clamp(0.2 + 0.8 * fragility, 0, 1),
    reasons,
    data: { fragility, multiplier, ...parts },
  };
}

/** The risk planet: a size multiplier from volatility, drawdown, VaR and stops. */
export function riskPlanet(opts: BuiltinPlanetOptions = {}): Planet {
  return definePlanet({
    name: 'risk',
    role: 'risk',
    weight: opts.weight ?? 1,
    moons: MOONS,
    task: opts.task ?? 'planet_analysis',
    gateway: opts.gateway,
    cache: opts.cache,
    // What it is shown: volatility, drawdown, VaR, the volatility level (not the trend regime: it never
    // chooses a direction), and whether a stop is breached (threshold `critical` in the cache).
    reads: {
      features: ['volatility', 'drawdown', 'var', 'volLevel'],
      extra: ({ snapshot }) => ({ critical: snapshot.readings.alerts.stopBreached ? 1 : 0 }),
    },
    assess: assessRisk,
    prompt: (input, base) => ({
      messages: planetMessages(
        'risk manager (volatility, drawdown, value at risk); you never choose a direction: a negative signal s cuts position size to (1 + s) of what it would be, 0 keeps it',
        input,
        base,
        MOONS,
        '',
        FIELDS,
      ),
      // The LLM may only cut the size further, never raise it or set a direction.
      read: (answer, b) => {
        const a = answer as { signal: number; reasons: string[] };
        const det = typeof b.data?.multiplier === 'number' ? b.data.multiplier : 1;
        const multiplier = Math.min(det, clamp(1 + Math.min(0, a.signal), 0, 1));
        return { ...b, reasons: [...a.reasons], data: { ...b.data, multiplier } };
      },
    }),
  });
}
