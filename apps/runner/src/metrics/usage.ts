/** The fields of a cycle record the usage summary reads (a subset of `@orrery/agents`' `CycleRecord`). */
export interface CycleUsage {
  readonly time: number;
  readonly mode: string;
  readonly calls: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly costUsd: number;
  /** Set when the cycle fell back (backup sun, planet vote, monitoring only). */
  readonly fallback?: unknown;
}

/** How the run used its LLM budget. */
export interface UsageSummary {
  readonly cycles: number;
  /** Cycles by execution mode. */
  readonly modeCounts: Readonly<Record<string, number>>;
  /** The same as percentages of all cycles (0..100). */
  readonly modePct: Readonly<Record<string, number>>;
  readonly llmCalls: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly costUsd: number;
  /** Cycles that fell back from the mode chosen (provider unreachable, cooling, budget). */
  readonly fallbacks: number;
  /** Cycles that made no LLM call at all. */
  readonly cyclesWithoutCall: number;
}

/** The execution modes, in the order reports show them. */
export const MODE_ORDER = ['MONITOR_ONLY', 'LIGHT_REASONING', 'FULL_AGENT'] as const;

/** Sums the usage of a run's cycle records. */
export function summariseUsage(cycles: readonly CycleUsage[]): UsageSummary {
  const modeCounts: Record<string, number> = Object.fromEntries(MODE_ORDER.map((m) => [m, 0]));
  let llmCalls = 0;
  let tokensIn = 0;
  let tokensOut = 0;
  let costUsd = 0;
  let fallbacks = 0;
  let cyclesWithoutCall = 0;
  for (const c of cycles) {
    modeCounts[c.mode] = (modeCounts[c.mode] ?? 0) + 1;
    llmCalls += c.calls;
    tokensIn += c.tokensIn;
    tokensOut += c.tokensOut;
    costUsd += c.costUsd;
    if (c.fallback !== undefined && c.fallback !== null && c.fallback !== false) fallbacks++;
    if (c.calls === 0) cyclesWithoutCall++;
  }
  const n = cycles.length;
  const modePct = Object.fromEntries(
    Object.entries(modeCounts).map(([m, k]) => [m, n > 0 ? (100 * k) / n : 0]),
  );
  return {
    cycles: n,
    modeCounts,
    modePct,
    llmCalls,
    tokensIn,
    tokensOut,
    costUsd,
    fallbacks,
    cyclesWithoutCall,
  };
}

/**
 * Mode shares over time: the cycles cut into at most `buckets` consecutive windows, each with the
 * percentage of every mode. For the report's "mode mix over time" chart.
 */
export function modeMixOverTime(
  cycles: readonly CycleUsage[],
  buckets = 60,
): { time: number; pct: Record<string, number> }[] {
  if (cycles.length === 0) return [];
  const size = Math.max(1, Math.ceil(cycles.length / buckets));
  const out: { time: number; pct: Record<string, number> }[] = [];
  for (let i = 0; i < cycles.length; i += size) {
    const slice = cycles.slice(i, i + size);
    const pct: Record<string, number> = Object.fromEntries(MODE_ORDER.map((m) => [m, 0]));
    for (const c of slice) pct[c.mode] = (pct[c.mode] ?? 0) + 100 / slice.length;
    out.push({ time: slice[0]!.time, pct });
  }
  return out;
}
