import {
  type AnswerCacheStats,
  addCacheStats,
  CACHE_MISS_REASONS,
  type CacheMissReason,
  cacheMisses,
  emptyCacheStats,
} from '@orrery/agents';

/** What the agents' answer caches did in a run (`agents.cache`): the summary's, `--json`'s and the report's figures. */
export interface CacheFigures {
  /** Lookups: cycles where a planet or the sun's note would have called. */
  readonly lookups: number;
  /** Answers reused: no provider call, no budget, a ledger cache hit. */
  readonly hits: number;
  readonly misses: number;
  /** hits / lookups (null without lookups). */
  readonly hitRate: number | null;
  /** Why the misses had to call: `absent` (first ask), `expired` (TTL), `material_change`, `news`, `prompt`, `evicted`. */
  readonly invalidations: Readonly<Record<CacheMissReason, number>>;
  /** Provider calls the hits avoided, and what they cost when they were made (the run's own prices). */
  readonly callsSaved: number;
  readonly usdSaved: number;
  /** The same per agent (`planet:technical`, `sun:summary`, …). */
  readonly byAgent: Readonly<Record<string, AnswerCacheStats>>;
}

/** Adds up the caches' counters (see `SolarSystem.cacheStats`). */
export function cacheFigures(stats: Readonly<Record<string, AnswerCacheStats>>): CacheFigures {
  const total = emptyCacheStats();
  for (const s of Object.values(stats)) addCacheStats(total, s);
  const misses = cacheMisses(total);
  const lookups = total.hits + misses;
  return {
    lookups,
    hits: total.hits,
    misses,
    hitRate: lookups === 0 ? null : total.hits / lookups,
    invalidations: total.misses,
    callsSaved: total.callsSaved,
    usdSaved: total.usdSaved,
    byAgent: stats,
  };
}

/** The figures as summary lines (none when nothing was looked up: no LLM, or the cache off). */
export function formatCacheFigures(f: CacheFigures): string[] {
  if (f.lookups === 0) return [];
  const reasons = CACHE_MISS_REASONS.filter((r) => f.invalidations[r] > 0)
    .map((r) => `${r.replace('_', ' ')} ${f.invalidations[r]}`)
    .join(', ');
  return [
    `Answer cache: ${f.hits} hit(s) of ${f.lookups} lookups (${((f.hitRate ?? 0) * 100).toFixed(1)} %), ` +
      `${f.callsSaved} call(s) and $${f.usdSaved.toFixed(4)} saved; misses: ${reasons || 'none'}`,
  ];
}
