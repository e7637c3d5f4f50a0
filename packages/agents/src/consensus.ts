import type { PlanetReport } from './planets/planet.ts';

/** The outcome of a vote among planets. */
export interface ConsensusResult {
  /** True when the quorum of healthy members reported. Otherwise `signal` and `confidence` are 0. */
  reached: boolean;
  /** The weighted median of the voters' signals, in [−1, 1]. */
  signal: number;
  /** Mean confidence of the voters (by weight) × (1 − dissent), in [0, 1]; it gives no voting weight. */
  confidence: number;
  /** Weighted mean distance of the voters from the median, halved: 0 unanimous … 1 split at the extremes. */
  dissent: number;
  /** Planets consulted. */
  members: number;
  /** Healthy members needed. */
  quorum: number;
  /** Members that reported (status `ok`). */
  present: number;
  /** Present members that voted (positive weight and confidence). */
  voters: number;
  /** Members that failed, timed out or are stopped. */
  faulty: string[];
}

/**
 * How the planets decide without the sun: a weighted median of the forecast planets' signals.
 *
 * - Members are the planets whose role is `forecast` (risk and execution planets size and time trades;
 *   they never vote on direction).
 * - A member that reported votes its signal with its CONFIGURED weight. Confidence cannot buy influence:
 *   a member with zero confidence (sentiment without news) abstains, any other votes with its weight,
 *   whatever confidence it claims. Confidence only shapes the result's confidence.
 * - Quorum: at least `quorum` members must have reported (default a strict majority, ⌊n/2⌋ + 1).
 * - With equal weights, ⌊(n − 1)/2⌋ members reporting anything at all (any signal, any confidence)
 *   cannot move the median outside the range of the honest voters' signals: they hold less than half
 *   of the voting weight. (A mean — or a median weighted by self-reported confidence — has no such
 *   bound: one member claiming confidence 1 outweighs three honest ones at 0.3.)
 */
export const CONSENSUS_RULE =
  "weighted median of the forecast planets' signals, each with its configured weight (confidence may " +
  'only abstain, never add weight), quorum ⌊n/2⌋+1 reporting members; members holding less than half ' +
  'the voting weight cannot pull the result outside the range of the honest signals';

/** Runs the vote described by {@link CONSENSUS_RULE}. Pure; deterministic for any report order. */
export function consensus(
  reports: readonly PlanetReport[],
  opts: { quorum?: number | undefined } = {},
): ConsensusResult {
  const members = reports.length;
  const quorum = opts.quorum ?? Math.floor(members / 2) + 1;
  const present = reports.filter((r) => r.status === 'ok');
  const faulty = reports.filter((r) => r.status !== 'ok').map((r) => r.planet);
  const votes = present
    .map((r) => ({
      planet: r.planet,
      s: Math.max(-1, Math.min(1, r.signal)),
      c: Math.max(0, Math.min(1, r.confidence)),
      w: r.weight,
      // The vote's weight: the configured one (see CONSENSUS_RULE). Set here, not by spreading a
      // copy with a new key (V8 makes that a slow clone of every vote).
      v: r.weight,
    }))
    .filter((x) => x.c > 0 && x.w > 0 && Number.isFinite(x.w) && Number.isFinite(x.s))
    .sort((a, b) => a.s - b.s || a.planet.localeCompare(b.planet));
  const base = { members, quorum, present: present.length, voters: votes.length, faulty };
  if (present.length < quorum || members === 0) {
    return { reached: false, signal: 0, confidence: 0, dissent: 0, ...base };
  }
  const total = votes.reduce((a, x) => a + x.v, 0);
  if (total <= 0) return { reached: true, signal: 0, confidence: 0, dissent: 0, ...base };

  let median = 0;
  let acc = 0;
  for (let i = 0; i < votes.length; i++) {
    const x = votes[i]!;
    acc += x.v;
    const half = total / 2;
    if (Math.abs(acc - half) <= 1e-12 * total && i + 1 < votes.length) {
      median = (x.s + votes[i + 1]!.s) / 2;
      break;
    }
    if (acc > half) {
      median = x.s;
      break;
    }
  }
  const dissent = votes.reduce((a, x) => a + x.v * Math.abs(x.s - median), 0) / (2 * total);
  const wSum = votes.reduce((a, x) => a + x.w, 0);
  const meanConf = votes.reduce((a, x) => a + x.w * Math.max(0, Math.min(1, x.c)), 0) / wSum;
  return {
    reached: true,
    signal: Math.max(-1, Math.min(1, median)),
    confidence: Math.max(0, Math.min(1, meanConf * (1 - dissent))),
    dissent: Math.max(0, Math.min(1, dissent)),
    ...base,
  };
}
