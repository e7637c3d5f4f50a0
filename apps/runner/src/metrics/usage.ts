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
  /** The planets' reports: whether each asked its model (`llm.outcome`) and why not. */
  readonly planets?: readonly { readonly llm?: { readonly outcome?: string; readonly detail?: string } }[];
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

/** LLM calls a run did not make although it could have, and where they come from. */
export interface CallsAvoided {
  /** `monitorCycles + partialCycles + cacheHits`; 0 with no LLM reachable (nothing could be called). */
  readonly total: number;
  /** `MONITOR_ONLY` cycles that made no call, with an LLM reachable. */
  readonly monitorCycles: number;
  /** Reasoning cycles in which at least one planet had nothing to ask its model, with an LLM reachable. */
  readonly partialCycles: number;
  /** Answers the gateway served from its cache instead of calling a provider. */
  readonly cacheHits: number;
  readonly llmReachable: boolean;
}

/**
 * Counts the calls avoided: only cycles where an LLM was reachable and not needed — `MONITOR_ONLY`
 * cycles without a call, and reasoning cycles in which a planet did not ask its model because it had
 * nothing to ask — plus the gateway's cache hits. With no LLM reachable nothing was avoided: the planets
 * decided deterministically because nothing else could.
 */
export function countCallsAvoided(
  cycles: readonly CycleUsage[],
  o: { readonly llmReachable: boolean; readonly cacheHits: number },
): CallsAvoided {
  if (!o.llmReachable)
    return { total: 0, monitorCycles: 0, partialCycles: 0, cacheHits: 0, llmReachable: false };
  let monitorCycles = 0;
  let partialCycles = 0;
  for (const c of cycles) {
    if (c.mode === 'MONITOR_ONLY') {
      if (c.calls === 0) monitorCycles++;
    } else if (
      (c.planets ?? []).some((p) => p.llm?.outcome === 'skipped' && p.llm.detail === 'nothing to ask')
    )
      partialCycles++;
  }
  return {
    total: monitorCycles + partialCycles + o.cacheHits,
    monitorCycles,
    partialCycles,
    cacheHits: o.cacheHits,
    llmReachable: true,
  };
}

/** Cumulative LLM spend at a point of the run. */
export interface SpendPoint {
  readonly time: number;
  /** Calls, tokens (in + out) and cost summed over every cycle up to and including `time`. */
  readonly calls: number;
  readonly tokens: number;
  readonly costUsd: number;
}

/**
 * Cumulative LLM calls, tokens and cost over the run's cycles (in time order), one point per bar time,
 * thinned to at most `points` (the last point of each window kept, so the final totals are exact).
 */
export function spendOverTime(cycles: readonly CycleUsage[], points = 500): SpendPoint[] {
  const all: SpendPoint[] = [];
  let calls = 0;
  let tokens = 0;
  let costUsd = 0;
  for (const c of [...cycles].sort((a, b) => a.time - b.time)) {
    calls += c.calls;
    tokens += c.tokensIn + c.tokensOut;
    costUsd += c.costUsd;
    const p = { time: c.time, calls, tokens, costUsd };
    if (all.at(-1)?.time === c.time) all[all.length - 1] = p;
    else all.push(p);
  }
  if (all.length <= points) return all;
  const step = all.length / points;
  const out: SpendPoint[] = [];
  for (let k = 1; k <= points; k++) out.push(all[Math.min(all.length, Math.round(k * step)) - 1]!);
  return out;
}
