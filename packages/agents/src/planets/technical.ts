import type { LLMCaller } from '../llm-caller.ts';
import type { AnswerCache } from './answer-cache.ts';
import { definePlanet, featuresOfMoons } from './define-planet.ts';
import { clamp, fmt, type Planet, type PlanetAssessment, type PlanetInput } from './planet.ts';
import { planetMessages } from './prompt.ts';

const MOONS = ['trend', 'ma', 'macd', 'rsi', 'regime', 'atr'] as const;

/**
 * The technical planet's deterministic analysis, the base forecast of the system: the trend moon's
 * risk-normalised EWMA crossovers (three speeds, see `trendMoon`). Confidence is the share of speeds
 * that have warmed up × how much they agree in sign (it can only lower this planet's say, see
 * `consensus`). Context the LLM may weigh (RSI, the regime, price vs the slow average) is in the reasons.
 */
export function assessTechnical({ snapshot }: PlanetInput): PlanetAssessment {
  const r = snapshot.readings;
  const speeds = r.trend.speeds;
  const warm = speeds.filter((x): x is number => x !== null);
  // Context the LLM may weigh; it does not move the deterministic forecast.
  const context: string[] = [];
  if (r.ma.smaSlow !== null)
    context.push(`close ${snapshot.bar.close >= r.ma.smaSlow ? 'above' : 'below'} the slow average`);
  if (r.rsi.rsi !== null) context.push(`RSI ${fmt(r.rsi.rsi, 3)}`);
  if (r.regime.trend !== null) context.push(`regime ${r.regime.trend}`);
  if (r.trend.forecast === null || warm.length === 0) {
    return { signal: 0, confidence: 0, reasons: ['trend forecast still warming up', ...context] };
  }
  const forecast = r.trend.forecast;
  const sameSign = warm.filter((x) => Math.sign(x) === Math.sign(forecast)).length;
  const agreement = forecast === 0 ? 0 : sameSign / warm.length;
  const confidence = clamp((warm.length / speeds.length) * (0.5 + 0.5 * agreement), 0, 1);
  const reasons = [
    `trend forecast ${fmt(forecast, 3)} (EWMA crossovers ${warm.map((x) => fmt(x, 3)).join(', ')})`,
    ...context,
  ];
  return { signal: forecast, confidence, reasons, data: { forecast, agreement, speeds: warm.length } };
}

/** Options of the built-in planets. */
export interface BuiltinPlanetOptions {
  /** Vote weight (default per planet). */
  weight?: number;
  /** The planet's own gateway for standalone use (the sun passes per-cycle permits instead). */
  gateway?: LLMCaller | null;
  /** Gateway task of its call (default `planet_analysis`). */
  task?: string;
  /** Its answer cache (see `AnswerCache`); absent or null: every call is made. */
  cache?: AnswerCache | null;
}

/** The technical planet: the trend-following forecast from the trend moon. */
export function technicalPlanet(opts: BuiltinPlanetOptions = {}): Planet {
  return definePlanet({
    name: 'technical',
    role: 'forecast',
    weight: opts.weight ?? 1,
    moons: MOONS,
    task: opts.task ?? 'planet_analysis',
    gateway: opts.gateway,
    cache: opts.cache,
    // The trend forecast itself (threshold `forecast` in the cache) besides its moons' features.
    reads: {
      features: featuresOfMoons(MOONS),
      extra: ({ snapshot }) =>
        snapshot.readings.trend.forecast === null ? {} : { forecast: snapshot.readings.trend.forecast },
    },
    assess: assessTechnical,
    prompt: (input, base) => ({
      messages: planetMessages(
        'technical analyst; your signal is a trend-following forecast in [-1, 1] (the deterministic one is given: adjust it only for a reason you state)',
        input,
        base,
        MOONS,
      ),
    }),
  });
}
