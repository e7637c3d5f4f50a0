import type { PlanetReport } from './planets/planet.ts';

/** The outcome of a vote among planets. */
export interface ConsensusResult {
  /** True when the quorum of healthy members reported. Otherwise `signal` and `confidence` are 0. */
  reached: boolean;
  /** The weighted median of the voters' signals, in [−1, 1]. */
  signal: number;
  /** Mean confidence of the voters (by weight) × (1 − dissent), in [0, 1]. */
  confidence: number;
  /** Weighted mean distance of the voters from the median, halved: 0 unanimous … 1 split at the extremes. */
  dissent: number;
  /** Planets consulted. */
  members: number;
  /** Healthy members needed. */
  quorum: number;
  /** Members that reported (status `ok`). */
  present: number;
  /** Present members with a positive voting weight (weight × confidence). */
  voters: number;
  /** Members that failed, timed out or are stopped. */
  faulty: string[];
}

/**
 * How the planets decide without the sun: a weighted median with a quorum.
 *
 * - Each planet that reported votes its signal with weight `weight × confidence` (a planet with zero
 *   confidence, like sentiment without news, is present but abstains).
 * - Quorum: at least `quorum` members must have reported (default a strict majority, ⌊n/2⌋ + 1).
 *   So up to ⌈n/2⌉ − 1 members may be missing or faulty (1 of 4, 2 of 5); with more, no consensus.
 * - The weighted median cannot be pulled outside the range of the honest signals by members holding
 *   less than half of the voting weight, whatever they report (a breakdown point of 50 %), and one
 *   outlier moves it at most to its neighbour — unlike a mean.
 */
export const CONSENSUS_RULE =
  'weighted median of signed signals (weight × confidence), quorum ⌊n/2⌋+1 reporting members; ' +
  'tolerates ⌈n/2⌉−1 missing members and arbitrary signals from less than half the voting weight';

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
    .map((r) => ({ planet: r.planet, s: r.signal, c: r.confidence, w: r.weight, v: r.weight * r.confidence }))
    .filter((x) => x.v > 0 && Number.isFinite(x.v) && Number.isFinite(x.s))
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
  const meanConf = votes.reduce((a, x) => a + x.w * x.c, 0) / wSum;
  return {
    reached: true,
    signal: Math.max(-1, Math.min(1, median)),
    confidence: Math.max(0, Math.min(1, meanConf * (1 - dissent))),
    dissent: Math.max(0, Math.min(1, dissent)),
    ...base,
  };
}
