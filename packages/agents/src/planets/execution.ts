import { definePlanet } from './define-planet.ts';
import { clamp, fmt, type Planet, type PlanetAssessment, type PlanetInput } from './planet.ts';
import { planetMessages } from './prompt.ts';
import type { BuiltinPlanetOptions } from './technical.ts';

const MOONS = ['ma', 'atr'] as const;
/** Of the moving averages it reads the volume average only (the price averages are the technical planet's). */
const FIELDS = { ma: ['volumeSma'] } as const;

/** How the execution planet trades; defaults as in the solar-system config's `execution` section. */
export interface ExecutionRules {
  minRelativeVolume: number;
  maxParticipation: number;
  limitRangeAtr: number;
}

const DEFAULT_RULES: ExecutionRules = { minRelativeVolume: 0.05, maxParticipation: 0.1, limitRangeAtr: 2.5 };

/**
 * The execution planet's deterministic analysis — how and when, never which way (its signal is 0):
 * - `skip`: a bar without trades (no volume, no range), or with volume under `minRelativeVolume` of its
 *   average, trades nothing (the target waits for a liquid bar);
 * - `orderType`: `limit` at the close when the bar was wider than `limitRangeAtr` ATRs (do not chase a
 *   wild bar at the next open), else `market`; exits forced by risk rules are always market orders;
 * - `maxParticipation`: the largest order as a fraction of the bar's volume (larger trades are split
 *   over the next bars).
 */
export function assessExecution(input: PlanetInput, rules: ExecutionRules = DEFAULT_RULES): PlanetAssessment {
  const { bar, readings: r } = input.snapshot;
  const range = bar.high - bar.low;
  const rv = r.ma.volumeSma !== null && r.ma.volumeSma > 0 ? bar.volume / r.ma.volumeSma : null;
  const rangeAtr = r.atr.atr !== null && r.atr.atr > 0 ? range / r.atr.atr : null;
  // Zero volume with no range is a bar without trades; zero volume with a range, a source without volume.
  const noTrades = bar.volume <= 0 && bar.high === bar.low;
  const skip = noTrades || (rv !== null && rv < rules.minRelativeVolume);
  const limit = rangeAtr !== null && rangeAtr > rules.limitRangeAtr;
  const reasons: string[] = [];
  if (noTrades) reasons.push('no trade on this bar: skip');
  else if (skip) reasons.push(`volume ${fmt(rv, 3)}x average: too thin, skip`);
  if (rv !== null) reasons.push(`volume ${fmt(rv, 3)}x average`);
  if (rangeAtr !== null)
    reasons.push(`range ${fmt(rangeAtr, 3)} ATR${limit ? ': limit order at the close' : ''}`);
  return {
    signal: 0,
    confidence: clamp(rv === null ? 0.2 : Math.min(1, rv), 0, 1),
    reasons,
    data: {
      orderType: limit ? 'limit' : 'market',
      skip,
      maxParticipation: rules.maxParticipation,
      relativeVolume: rv,
      rangeAtr,
    },
  };
}

/** Options of the execution planet. */
export interface ExecutionPlanetOptions extends BuiltinPlanetOptions {
  rules?: Partial<ExecutionRules>;
}

/** The execution planet: order type, timing and slicing from volume and range. */
export function executionPlanet(opts: ExecutionPlanetOptions = {}): Planet {
  const rules = { ...DEFAULT_RULES, ...opts.rules };
  return definePlanet({
    name: 'execution',
    role: 'execution',
    weight: opts.weight ?? 0.5,
    moons: MOONS,
    task: opts.task ?? 'planet_analysis',
    gateway: opts.gateway,
    cache: opts.cache,
    // What it is shown: the ATR, and its own plan (skip the bar, limit order), which it explains; a
    // flip of either is a new situation (thresholds `skip` and `limitOrder` in the cache).
    reads: {
      features: ['atrPct'],
      extra: (input) => {
        const d = assessExecution(input, rules).data;
        return { skip: d?.skip === true ? 1 : 0, limitOrder: d?.orderType === 'limit' ? 1 : 0 };
      },
    },
    assess: (input) => assessExecution(input, rules),
    prompt: (input, base) => ({
      messages: planetMessages(
        'execution trader (liquidity, slippage, timing); you never choose a direction: answer signal 0 and explain the execution conditions',
        input,
        base,
        MOONS,
        '',
        FIELDS,
      ),
      // The plan stays deterministic; the LLM's reasons are kept.
      read: (answer, b) => ({ ...b, reasons: [...(answer as { reasons: string[] }).reasons] }),
    }),
  });
}
