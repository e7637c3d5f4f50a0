import { createHash, randomUUID } from 'node:crypto';
import type { ScaledThreshold } from '../moons/material-change.ts';

/** Cache settings of one task (`agents.cache.<task>`). */
export interface TaskCacheSettings {
  /** Off: every call that would be made is made. */
  enabled: boolean;
  /** How long an answer stays good, in market (bar) time, ms. */
  ttlMs: number;
}

/**
 * What one cached answer was computed from: the features the asker reads (compared against thresholds,
 * i.e. quantised to the material-change thresholds), exact text inputs (the news items it saw) and the
 * prompt's version (a hash of the fixed part of the prompt: a new template or variant is a new version).
 */
export interface CacheInputs {
  symbol: string;
  /** Market time of the cycle (bar time), ms. */
  time: number;
  /** Feature → value now (only the features the asker reads). */
  features: Readonly<Record<string, number>>;
  /** Text inputs that must match exactly (e.g. the news items). */
  texts: readonly string[];
  /** The prompt's version (any string; compared exactly). */
  promptVersion: string;
}

/** Why a lookup missed: no entry yet, the TTL ran out, a read feature moved past its threshold, the news or the prompt changed, or the gateway no longer had the entry. */
export type CacheMissReason = 'absent' | 'expired' | 'material_change' | 'news' | 'prompt' | 'evicted';

/** The reasons a lookup can miss, in a stable order (for reports). */
export const CACHE_MISS_REASONS: readonly CacheMissReason[] = [
  'absent',
  'expired',
  'material_change',
  'news',
  'prompt',
  'evicted',
];

/** Counters of one answer cache (or of several, added up with {@link addCacheStats}). */
export interface AnswerCacheStats {
  /** Lookups answered from the cache (no provider call, no budget). */
  hits: number;
  /** Lookups that had to call, by reason. */
  misses: Record<CacheMissReason, number>;
  /** Provider calls the hits avoided. */
  callsSaved: number;
  /** What those calls cost when they were made (the run's own prices), USD. */
  usdSaved: number;
}

/** Zeroed {@link AnswerCacheStats}. */
export function emptyCacheStats(): AnswerCacheStats {
  return {
    hits: 0,
    misses: { absent: 0, expired: 0, material_change: 0, news: 0, prompt: 0, evicted: 0 },
    callsSaved: 0,
    usdSaved: 0,
  };
}

/** Adds `b` into `a` (mutates and returns `a`). */
export function addCacheStats(a: AnswerCacheStats, b: Readonly<AnswerCacheStats>): AnswerCacheStats {
  a.hits += b.hits;
  for (const r of CACHE_MISS_REASONS) a.misses[r] += b.misses[r];
  a.callsSaved += b.callsSaved;
  a.usdSaved += b.usdSaved;
  return a;
}

/** Total misses of `s`. */
export function cacheMisses(s: Readonly<AnswerCacheStats>): number {
  let n = 0;
  for (const r of CACHE_MISS_REASONS) n += s.misses[r];
  return n;
}

interface Entry {
  key: string;
  time: number;
  features: Record<string, number>;
  thresholds: Record<string, number>;
  texts: string;
  promptVersion: string;
  costUsd: number;
}

/** The verdict of a lookup: reuse the entry under `key`, or call and store under `key`. */
export type CacheVerdict = { hit: true; key: string } | { hit: false; key: string; reason: CacheMissReason };

/**
 * Decides, per symbol, whether an expensive answer can be reused: the entry stays good while the TTL
 * (in bar time) runs, the prompt version and the text inputs are the same, and no read feature moved
 * past its threshold since the answer was computed (a threshold is max(absolute, factor × |the scaling
 * feature at the entry|), the material-change detector's rule). The answer itself lives in the
 * gateway's cache under the verdict's `key` (`LLMRequest.cache.key`), so a hit is the gateway's: no
 * provider call, no budget, a `cache_hit` ledger row, and recorded for replay like any answer.
 */
export class AnswerCache {
  readonly #name: string;
  readonly #thresholds: Readonly<Record<string, number>>;
  readonly #scaled: Readonly<Record<string, ScaledThreshold>>;
  readonly #entries = new Map<string, Entry>();
  /** Keys are this scope's own: a persisted gateway cache never serves another run's answer. */
  readonly #scope: string;
  readonly settings: TaskCacheSettings;
  /** This cache's counters (shared when the constructor was given an object to count into). */
  readonly stats: AnswerCacheStats;

  /**
   * @param name who asks (e.g. `planet:technical`); part of every key.
   * @param thresholds feature → absolute move that makes an entry stale.
   * @param scope part of every key (default: random, i.e. this instance's own).
   */
  constructor(
    name: string,
    settings: TaskCacheSettings,
    thresholds: Readonly<Record<string, number>>,
    scaled: Readonly<Record<string, ScaledThreshold>> = {},
    stats: AnswerCacheStats = emptyCacheStats(),
    scope: string = randomUUID(),
  ) {
    if (!(settings.ttlMs > 0)) throw new RangeError(`answer cache '${name}': ttlMs must be > 0`);
    this.stats = stats;
    this.#scope = scope;
    this.#name = name;
    this.settings = settings;
    this.#thresholds = thresholds;
    this.#scaled = scaled;
  }

  /** The verdict for `inputs` (no counter moves until {@link settle}). */
  check(inputs: CacheInputs): CacheVerdict {
    const entry = this.#entries.get(inputs.symbol);
    const texts = JSON.stringify(inputs.texts);
    const fresh = (reason: CacheMissReason): CacheVerdict => ({ hit: false, key: this.#key(inputs), reason });
    if (entry === undefined) return fresh('absent');
    if (entry.promptVersion !== inputs.promptVersion) return fresh('prompt');
    if (entry.texts !== texts) return fresh('news');
    if (inputs.time - entry.time >= this.settings.ttlMs || inputs.time < entry.time) return fresh('expired');
    for (const [name, t] of Object.entries(entry.thresholds)) {
      const then = entry.features[name];
      const now = inputs.features[name];
      if (then === undefined && now === undefined) continue;
      if (then === undefined || now === undefined || Math.abs(now - then) >= t)
        return fresh('material_change');
    }
    return { hit: true, key: entry.key };
  }

  /**
   * Records what came of a verdict: `answered` with the response's `cached` flag and cost. A predicted
   * hit the gateway could not serve is a miss (`evicted`) and its answer becomes the entry; a miss whose
   * call answered becomes the entry; a call that failed leaves no entry.
   */
  settle(
    inputs: CacheInputs,
    verdict: CacheVerdict,
    outcome: { answered: boolean; cached: boolean; costUsd: number },
  ): void {
    const entry = this.#entries.get(inputs.symbol);
    if (verdict.hit && outcome.answered && (outcome.cached || entry === undefined)) {
      this.stats.hits += 1;
      this.stats.callsSaved += 1;
      this.stats.usdSaved += entry?.costUsd ?? 0;
      return;
    }
    this.stats.misses[verdict.hit ? 'evicted' : verdict.reason] += 1;
    if (!outcome.answered) {
      if (verdict.hit) this.#entries.delete(inputs.symbol);
      return;
    }
    this.#entries.set(inputs.symbol, {
      key: verdict.key,
      time: inputs.time,
      features: { ...inputs.features },
      thresholds: this.#effectiveThresholds(inputs.features),
      texts: JSON.stringify(inputs.texts),
      promptVersion: inputs.promptVersion,
      costUsd: outcome.costUsd,
    });
  }

  /** The bar time the symbol's current entry was computed at, or undefined when there is none. */
  entryTime(symbol: string): number | undefined {
    return this.#entries.get(symbol)?.time;
  }

  #effectiveThresholds(features: Readonly<Record<string, number>>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of Object.keys(features)) {
      const absolute = this.#thresholds[name];
      if (absolute === undefined) continue;
      const s = this.#scaled[name];
      const base = s === undefined ? undefined : features[s.feature];
      out[name] =
        base === undefined || s === undefined ? absolute : Math.max(absolute, s.factor * Math.abs(base));
    }
    return out;
  }

  /**
   * A key naming this entry's inputs exactly, within the scope (e.g. a run id: a resumed run that
   * rebuilds its entries on the bars it already traded finds the answers it stored before the stop).
   */
  #key(inputs: CacheInputs): string {
    return createHash('sha256')
      .update(
        JSON.stringify([
          this.#scope,
          this.#name,
          inputs.symbol,
          inputs.promptVersion,
          inputs.texts,
          inputs.time,
          Object.entries(inputs.features).sort(([a], [b]) => a.localeCompare(b)),
        ]),
      )
      .digest('hex');
  }
}

/**
 * Cache thresholds of figures the planets read that are not material-change features (see
 * `PlanetReads.extra`): the trend forecast (forecast units, [−1, 1]), a breached stop, and the execution
 * plan's skip and limit-order flags (0/1: any flip). A read figure without a threshold is never compared.
 */
export const CACHE_EXTRA_THRESHOLDS: Readonly<Record<string, number>> = Object.freeze({
  forecast: 0.2,
  critical: 0.5,
  skip: 0.5,
  limitOrder: 0.5,
});

/** SHA-256 (hex, 16 chars) of `text`: a prompt version from the fixed part of a prompt. */
export function promptVersionOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
