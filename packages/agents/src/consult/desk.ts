import type { MoonSnapshot } from '../moons/snapshot.ts';
import type { AnalyzeOptions, Planet } from '../planets/planet.ts';

/**
 * One consult in flight: what a `sun.directive` cannot carry across the bus in this process — the
 * planet instance of the symbol's sun, the snapshot object, the call permit and the abort signal
 * (capabilities, not data).
 */
export interface Consult {
  planet: Planet;
  symbol: string;
  snapshot: MoonSnapshot;
  opts: AnalyzeOptions;
  /** The planet's own failure, kept so the sun supervises the original error, not the bus's copy. */
  error?: unknown;
}

/**
 * Consults in flight, by the key a directive carries in `params.consult`. Keys are deterministic
 * (symbol, cycle, planet, a counter), so replays exchange the same directives.
 */
export class ConsultDesk {
  readonly #open = new Map<string, Consult>();
  #seq = 0;

  /** Files a consult; returns the key its directive carries. */
  put(consult: Consult, cycleId: number): string {
    const key = `${consult.symbol}#${cycleId}#${consult.planet.name}#${++this.#seq}`;
    this.#open.set(key, consult);
    return key;
  }

  get(key: string): Consult | undefined {
    return this.#open.get(key);
  }

  /** Closes a consult (its answer arrived, or its time ran out). */
  drop(key: string): void {
    this.#open.delete(key);
  }

  /** Consults in flight. */
  get size(): number {
    return this.#open.size;
  }
}
