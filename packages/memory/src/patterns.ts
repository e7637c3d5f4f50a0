/** Realised outcomes of one regime × decision pair, summed (what the store aggregates). */
export interface OutcomeGroup {
  regime: string;
  decision: string;
  count: number;
  /** How many had a return > 0. */
  wins: number;
  /** Sum of returns (fractions). */
  sumReturn: number;
  /** Sum of alphas (fractions). */
  sumAlpha: number;
}

/** Outcome statistics of a set of episodes; returns and alphas are fractions (0.01 = 1 %). */
export interface PatternStat {
  count: number;
  /** Share of returns > 0, 0..1. */
  winRate: number;
  meanReturn: number;
  meanAlpha: number;
}

/** Outcome statistics of one regime × decision pair. */
export interface PatternGroup extends PatternStat {
  regime: string;
  decision: string;
}

/** What memory learned from realised outcomes, with a bounded text for the sun's prompt. */
export interface PatternSummary {
  /** Realised outcomes summarised. */
  total: number;
  /** Every regime × decision pair, most frequent first. */
  groups: PatternGroup[];
  /** Per regime, most frequent first. */
  byRegime: (PatternStat & { regime: string })[];
  /** Per decision kind, most frequent first. */
  byDecision: (PatternStat & { decision: string })[];
  /** Pairs with ≥ `minSamples` outcomes, mean return > 0 and win rate ≥ `successWinRate`; best first. */
  successModes: PatternGroup[];
  /** Pairs with ≥ `minSamples` outcomes, mean return < 0 and win rate ≤ 1 − `successWinRate`; worst first. */
  failureModes: PatternGroup[];
  /** A compact rendering, at most `maxChars` characters. */
  text: string;
}

/** How patterns are judged and rendered. */
export interface PatternOptions {
  /** Fewest outcomes before a pair can be a success or failure mode (default 5). */
  minSamples?: number;
  /** Win rate a success mode needs; failure modes have at most 1 − this (default 0.55). */
  successWinRate?: number;
  /** Most success and failure modes listed (default 3 each). */
  maxModes?: number;
  /** Longest text, in characters (default 800). */
  maxChars?: number;
}

function stat(count: number, wins: number, sumReturn: number, sumAlpha: number): PatternStat {
  return count === 0
    ? { count: 0, winRate: 0, meanReturn: 0, meanAlpha: 0 }
    : { count, winRate: wins / count, meanReturn: sumReturn / count, meanAlpha: sumAlpha / count };
}

function rollUp<K extends 'regime' | 'decision'>(groups: readonly OutcomeGroup[], key: K) {
  const sums = new Map<string, { count: number; wins: number; sumReturn: number; sumAlpha: number }>();
  for (const g of groups) {
    const s = sums.get(g[key]) ?? { count: 0, wins: 0, sumReturn: 0, sumAlpha: 0 };
    s.count += g.count;
    s.wins += g.wins;
    s.sumReturn += g.sumReturn;
    s.sumAlpha += g.sumAlpha;
    sums.set(g[key], s);
  }
  return [...sums]
    .map(
      ([name, s]) =>
        ({ [key]: name, ...stat(s.count, s.wins, s.sumReturn, s.sumAlpha) }) as PatternStat &
          Record<K, string>,
    )
    .sort((a, b) => b.count - a.count || a[key].localeCompare(b[key]));
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)}%`;
const describe = (name: string, s: PatternStat) =>
  `${name} n=${s.count} win ${Math.round(s.winRate * 100)}% ret ${pct(s.meanReturn)} alpha ${pct(s.meanAlpha)}`;

/** Joins as many items as fit in `budget` characters after `head`; returns '' when not even one fits. */
function listLine(head: string, items: readonly string[], budget: number): string {
  let line = '';
  for (const item of items) {
    const next = line === '' ? `${head}${item}` : `${line}; ${item}`;
    if (next.length > budget) break;
    line = next;
  }
  return line;
}

/** Renders a summary in at most `maxChars` characters, most useful lines first. */
export function renderPatterns(summary: Omit<PatternSummary, 'text'>, maxChars = 800): string {
  if (maxChars <= 0) return '';
  const lines: string[] = [];
  let used = 0;
  const add = (line: string) => {
    if (line === '') return;
    const cost = (lines.length === 0 ? 0 : 1) + line.length;
    if (used + cost > maxChars) return;
    lines.push(line);
    used += cost;
  };
  const budget = () => maxChars - used - (lines.length === 0 ? 0 : 1);
  add(
    summary.total === 0
      ? 'Memory: no realised outcomes yet.'
      : `Memory: ${summary.total} realised outcomes (n, win rate, mean return, mean alpha).`,
  );
  const g = (x: PatternGroup) => describe(`${x.regime}/${x.decision}`, x);
  add(listLine('Works: ', summary.successModes.map(g), budget()));
  add(listLine('Fails: ', summary.failureModes.map(g), budget()));
  add(
    listLine(
      'By regime: ',
      summary.byRegime.map((r) => describe(r.regime, r)),
      budget(),
    ),
  );
  add(
    listLine(
      'By decision: ',
      summary.byDecision.map((d) => describe(d.decision, d)),
      budget(),
    ),
  );
  const text = lines.join('\n');
  return text.length <= maxChars ? text : `${text.slice(0, Math.max(0, maxChars - 1))}…`;
}

/** Summarises aggregated outcomes into statistics, success and failure modes, and a bounded text. */
export function summarisePatterns(
  groups: readonly OutcomeGroup[],
  options: PatternOptions = {},
): PatternSummary {
  const minSamples = options.minSamples ?? 5;
  const winRate = options.successWinRate ?? 0.55;
  const maxModes = options.maxModes ?? 3;
  const all: PatternGroup[] = groups
    .map((x) => ({
      regime: x.regime,
      decision: x.decision,
      ...stat(x.count, x.wins, x.sumReturn, x.sumAlpha),
    }))
    .sort(
      (a, b) => b.count - a.count || `${a.regime}/${a.decision}`.localeCompare(`${b.regime}/${b.decision}`),
    );
  const eligible = all.filter((x) => x.count >= minSamples);
  const summary = {
    total: all.reduce((n, x) => n + x.count, 0),
    groups: all,
    byRegime: rollUp(groups, 'regime'),
    byDecision: rollUp(groups, 'decision'),
    successModes: eligible
      .filter((x) => x.meanReturn > 0 && x.winRate >= winRate)
      .sort((a, b) => b.meanReturn - a.meanReturn)
      .slice(0, maxModes),
    failureModes: eligible
      .filter((x) => x.meanReturn < 0 && x.winRate <= 1 - winRate)
      .sort((a, b) => a.meanReturn - b.meanReturn)
      .slice(0, maxModes),
  };
  return { ...summary, text: renderPatterns(summary, options.maxChars ?? 800) };
}
