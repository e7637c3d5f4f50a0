import type { MoonSnapshot } from '../moons/snapshot.ts';
import type { AnalyzeOptions, Lateral, Planet } from '../planets/planet.ts';
import type { MessageLog } from './message-log.ts';

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
  /** Where the consult's cycle counts the laterals the planet sends. */
  log?: MessageLog | undefined;
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

/**
 * Laterals waiting for their planet's next consult, per symbol (at most `cap` each, oldest dropped). A
 * lateral told on one bar is heard from the next bar on, whatever order the planets of a cycle ran in, so
 * what a planet hears does not depend on timing.
 */
export class LateralBoard {
  readonly #waiting = new Map<string, { bar: number; lateral: Lateral }[]>();
  constructor(private readonly cap = 16) {}

  /** Files what was told to `to` about `symbol` during the cycle of bar `bar`. */
  post(symbol: string, to: string, bar: number, lateral: Lateral): void {
    const key = `${symbol}\u0000${to}`;
    const list = this.#waiting.get(key) ?? [];
    list.push({ bar, lateral });
    if (list.length > this.cap) list.shift();
    this.#waiting.set(key, list);
  }

  /** What `planet` was told about `symbol` on bars before `bar`, oldest first; those are taken. */
  take(symbol: string, planet: string, bar: number): Lateral[] {
    const key = `${symbol}\u0000${planet}`;
    const list = this.#waiting.get(key);
    if (list === undefined) return [];
    const due = list.filter((l) => l.bar < bar);
    const later = list.filter((l) => l.bar >= bar);
    if (later.length === 0) this.#waiting.delete(key);
    else this.#waiting.set(key, later);
    return due.map((l) => l.lateral);
  }
}
