import { definePlanet } from './define-planet.ts';
import { clamp, fmt, type Planet, type PlanetAssessment, type PlanetInput } from './planet.ts';
import { planetMessages } from './prompt.ts';
import type { BuiltinPlanetOptions } from './technical.ts';

const MOONS = ['volatility', 'drawdown', 'var', 'regime', 'atr', 'alerts', 'sizing'] as const;

/**
 * How fragile the situation is, in [0, 1]: the largest of volatility against its long-run level
 * (ratio 1 → 0, ratio 2.5 → 1; at least 0.6 in a high-volatility regime), the drawdown (20 % → 1), the
 * one-bar 95 % VaR (5 % → 1), and 1 when the stop was breached. An input of mode selection and of
 * the critic's trigger.
 */
export function fragilityOf(input: PlanetInput): { fragility: number; parts: Record<string, number> } {
  const r = input.snapshot.readings;
  let vol = r.volatility.ratio === null ? 0 : clamp((r.volatility.ratio - 1) / 1.5, 0, 1);
  if (r.regime.volatility === 'high') vol = Math.max(vol, 0.6);
  const dd = r.drawdown.drawdown === null ? 0 : clamp(r.drawdown.drawdown / 0.2, 0, 1);
  const v = r.var.var === null ? 0 : clamp(r.var.var / 0.05, 0, 1);
  const stop = r.alerts.stopBreached ? 1 : 0;
  return { fragility: Math.max(vol, dd, v, stop), parts: { vol, dd, var: v, stop } };
}

/**
 * The risk planet's deterministic analysis: calm markets are neutral; past a fragility of 0.3 it
 * votes to reduce (signal −(fragility − 0.3) / 0.7), more surely the more fragile. Its hard limits
 * are not here: they live in the configuration and clamp every decision (see `clampDecision`).
 */
export function assessRisk(input: PlanetInput): PlanetAssessment {
  const r = input.snapshot.readings;
  const { fragility, parts } = fragilityOf(input);
  const reasons = [`fragility ${fmt(fragility, 3)}`];
  if (r.volatility.ratio !== null) reasons.push(`volatility ${fmt(r.volatility.ratio, 3)}x its usual level`);
  if (r.drawdown.drawdown !== null) reasons.push(`drawdown ${fmt(r.drawdown.drawdown * 100, 3)} %`);
  if (r.var.var !== null) reasons.push(`one-bar 95 % VaR ${fmt(r.var.var * 100, 3)} %`);
  if (r.alerts.stopBreached) reasons.push('stop breached');
  const signal = fragility > 0.3 ? -(fragility - 0.3) / 0.7 : 0;
  return {
    signal,
    confidence: clamp(0.2 + 0.8 * fragility, 0, 1),
    reasons,
    data: { fragility, ...parts },
  };
}

/** The risk planet: fragility from volatility, drawdown, VaR and stops. */
export function riskPlanet(opts: BuiltinPlanetOptions = {}): Planet {
  return definePlanet({
    name: 'risk',
    weight: opts.weight ?? 1,
    moons: MOONS,
    task: opts.task ?? 'planet_analysis',
    gateway: opts.gateway,
    assess: assessRisk,
    prompt: (input, base) => ({
      messages: planetMessages(
        'risk manager (volatility, drawdown, value at risk); a negative signal means reduce exposure',
        input,
        base,
        MOONS,
      ),
    }),
  });
}
