import type { EpisodicMemory, RecallResult } from '@orrery/memory';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import { fmt } from '../planets/planet.ts';

/** The part of `EpisodicMemory` the sun uses. */
export type SunMemory = Pick<EpisodicMemory, 'recall' | 'patterns' | 'record'>;

/** Feature → [centre, scale]: the situation vector holds (feature − centre) / scale, comparable across features. */
const SCALES: readonly (readonly [string, number, number])[] = [
  ['rsi', 50, 20],
  ['macdHist', 0, 0.5],
  ['percentB', 0.5, 0.5],
  ['atrPct', 0, 2],
  ['volatility', 0, 20],
  ['drawdown', 0, 5],
  ['var', 0, 2],
  ['maSpread', 0, 3],
  ['trend', 0, 1],
  ['volLevel', 1, 1],
];

/**
 * The situation of a snapshot for memory: a fixed-length vector of scaled features (missing ones at
 * their centre, plus a constant component so it is never zero) and readable fields.
 */
export function situationOf(s: MoonSnapshot): { vector: number[]; fields: Record<string, number | string> } {
  const vector = SCALES.map(([name, centre, scale]) => ((s.features[name] ?? centre) - centre) / scale);
  vector.push(0.5);
  const fields: Record<string, number | string> = { close: s.bar.close, regime: regimeOf(s) };
  if (s.readings.rsi.rsi !== null) fields.rsi = Number(s.readings.rsi.rsi.toFixed(2));
  return { vector, fields };
}

/** The regime label stored with episodes, e.g. `up/normal`. */
export function regimeOf(s: MoonSnapshot): string {
  return `${s.readings.regime.trend ?? 'unknown'}/${s.readings.regime.volatility ?? 'unknown'}`;
}

/** One line per recalled episode, for the sun's prompt. */
export function describeRecall(results: readonly RecallResult[]): string[] {
  return results.map(({ episode: e, similarity }) => {
    const outcome =
      e.outcome.type === 'realised'
        ? `return ${fmt(e.outcome.return * 100, 3)} %, alpha ${fmt(e.outcome.alpha * 100, 3)} %`
        : 'outcome pending';
    return `${new Date(e.time).toISOString().slice(0, 10)} ${e.regime}: ${e.decision} (confidence ${fmt(e.confidence, 2)}, similarity ${fmt(similarity, 2)}) -> ${outcome}`;
  });
}
