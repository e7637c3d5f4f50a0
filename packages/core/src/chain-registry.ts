import { BudgetTracker, type BudgetTrackerOptions } from './budget-tracker.ts';

/**
 * The delegation-chain budgets a gateway has opened, by id (what `orrery serve` hands out over HTTP).
 * Looking up an id finds a root chain or any child opened under one.
 */
export class ChainRegistry {
  readonly #roots = new Map<string, BudgetTracker>();

  /** Opens a root chain with its own cap. */
  open(options: Omit<BudgetTrackerOptions, 'name'> & { name?: string }): BudgetTracker {
    const tracker = new BudgetTracker({ ...options, name: options.name ?? 'chain' });
    this.#roots.set(tracker.id, tracker);
    return tracker;
  }

  /** The chain (root or child) with this id, or `undefined`. */
  get(id: string): BudgetTracker | undefined {
    const root = this.#roots.get(id);
    if (root !== undefined) return root;
    for (const r of this.#roots.values()) {
      const found = r.find(id);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Forgets a root chain; false when there was none with this id. */
  close(id: string): boolean {
    return this.#roots.delete(id);
  }
}
