import { definePlanet } from './define-planet.ts';
import { clamp, fmt, type Planet, type PlanetAssessment, type PlanetInput } from './planet.ts';
import { planetMessages } from './prompt.ts';
import type { BuiltinPlanetOptions } from './technical.ts';

const MOONS = ['ma', 'atr', 'sizing'] as const;

/**
 * The execution planet's deterministic analysis: where the bar closed in its range (close location
 * value, −1 at the low … +1 at the high) scaled by volume against its average — buying into strength
 * on volume is cheap to execute, selling into weakness likewise — and less sure when the bar's range is
 * wide against ATR (slippage). Signals stay within ±0.5; it also reports the sizing moon's suggestions.
 */
export function assessExecution({ snapshot }: PlanetInput): PlanetAssessment {
  const { bar, readings: r } = snapshot;
  const range = bar.high - bar.low;
  const clv = range > 0 ? (bar.close - bar.low - (bar.high - bar.close)) / range : 0;
  const rv = r.ma.volumeSma !== null && r.ma.volumeSma > 0 ? bar.volume / r.ma.volumeSma : null;
  const rangeAtr = r.atr.atr !== null && r.atr.atr > 0 ? range / r.atr.atr : null;
  const volumeFactor = rv === null ? 0.5 : Math.min(rv, 2) / 2;
  const signal = clamp(0.5 * clv * volumeFactor * 2, -0.5, 0.5);
  let confidence = rv === null ? 0.1 : 0.2 + 0.3 * volumeFactor;
  if (rangeAtr !== null && rangeAtr > 2) confidence *= 2 / rangeAtr;
  const reasons = [`closed at ${fmt((clv + 1) * 50, 3)} % of the bar range`];
  if (rv !== null) reasons.push(`volume ${fmt(rv, 3)}x average`);
  if (rangeAtr !== null) reasons.push(`range ${fmt(rangeAtr, 3)} ATR`);
  return {
    signal,
    confidence: clamp(confidence, 0, 1),
    reasons,
    data: {
      clv,
      relativeVolume: rv,
      rangeAtr,
      longFraction: r.sizing.longFraction,
      shortFraction: r.sizing.shortFraction,
    },
  };
}

/** The execution planet: execution conditions (close location, volume, range) and sizing. */
export function executionPlanet(opts: BuiltinPlanetOptions = {}): Planet {
  return definePlanet({
    name: 'execution',
    weight: opts.weight ?? 0.5,
    moons: MOONS,
    task: opts.task ?? 'planet_analysis',
    gateway: opts.gateway,
    assess: assessExecution,
    prompt: (input, base) => ({
      messages: planetMessages('execution trader (liquidity, slippage, timing, sizing)', input, base, MOONS),
    }),
  });
}
