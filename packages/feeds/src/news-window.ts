import type { NewsItem } from './news-file.ts';

/** Default look-back of {@link NewsWindow}: one day, in ms. */
export const DEFAULT_NEWS_LOOKBACK_MS = 86_400_000;
/** Default most items per cycle of {@link NewsWindow}. */
export const DEFAULT_NEWS_MAX_ITEMS = 10;

/** How much news one cycle is shown. */
export interface NewsWindowOptions {
  /** Items older than this before the bar's time are not shown (ms, > 0). Default one day. */
  readonly lookbackMs?: number;
  /** At most this many items, the newest kept (≥ 1). Default 10. */
  readonly maxItems?: number;
}

/**
 * The news a cycle on a bar may read, without look-ahead: for a bar of `symbol` stamped `time`, the
 * texts of the items with `time - lookbackMs < item.time <= time` whose symbol is absent or equals
 * `symbol` (case-insensitive), newest first, at most `maxItems`. Nothing stamped after the bar is ever
 * returned.
 */
export class NewsWindow {
  readonly #items: readonly NewsItem[];
  readonly #lookbackMs: number;
  readonly #maxItems: number;

  /** @param items in time order (as {@link loadNewsFile} returns them). */
  constructor(items: readonly NewsItem[], opts: NewsWindowOptions = {}) {
    this.#items = items;
    this.#lookbackMs = opts.lookbackMs ?? DEFAULT_NEWS_LOOKBACK_MS;
    this.#maxItems = opts.maxItems ?? DEFAULT_NEWS_MAX_ITEMS;
  }

  /** The texts for one bar (see the class); empty when none falls in the window. */
  select(symbol: string, time: number): string[] {
    const wanted = symbol.toUpperCase();
    const out: string[] = [];
    for (let i = this.#upTo(time) - 1; i >= 0 && out.length < this.#maxItems; i--) {
      const item = this.#items[i]!;
      if (item.time <= time - this.#lookbackMs) break;
      if (item.symbol === undefined || item.symbol.toUpperCase() === wanted) out.push(item.text);
    }
    return out;
  }

  /** Index of the first item stamped after `time` (binary search). */
  #upTo(time: number): number {
    let lo = 0;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#items[mid]!.time <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
