import { randomUUID } from 'node:crypto';
import { LLMBudgetExceededError } from './errors.ts';

/** How to create a {@link BudgetTracker}. */
export interface BudgetTrackerOptions {
  /** Who owns this level (`sun`, `planet:risk`, `delegate:search`…); appears in errors. */
  name: string;
  /** Tokens (in + out) this level and everything below it may use. */
  maxTokens: number;
  /** USD this level and everything below it may spend (unlimited when omitted). */
  maxCostUsd?: number | undefined;
  /** A stable id (default: a random UUID), so a chain can be found again by id. */
  id?: string | undefined;
}

/** Tokens and USD. */
export interface BudgetUsage {
  tokens: number;
  costUsd: number;
}

/** An estimate held on every level of a chain until the call ends. */
export interface ChainReservation {
  /**
   * Replaces the estimate with the actual usage, on every level — never more than was reserved: a
   * provider reporting more is charged the reservation and the overshoot is counted as an anomaly
   * (returns `true`). Idempotent with {@link release}.
   */
  settle(tokens: number, costUsd: number): boolean;
  /** Drops the estimate (the call failed or was not made). */
  release(): void;
}

/**
 * A token (and optionally USD) budget shared down a delegation chain — the sun's cap holds for every
 * planet and delegate it calls (A → B → C). A child has its own cap inside its parent's: a call charged
 * to a child counts against the child and every ancestor, and is refused when it would exceed any of them.
 *
 * The gateway reserves the call's estimate on every level before calling the provider (throwing
 * `LLMBudgetExceededError` with `budget: 'chain'` and no call made) — every message the provider will
 * receive plus the answer cap — then settles it with the actual usage, capped at the reservation (a
 * provider reporting more is an anomaly, see {@link anomalies}). So `used() ≤ maxTokens` always holds.
 * In memory; one process.
 */
export class BudgetTracker {
  readonly id: string;
  readonly name: string;
  readonly maxTokens: number;
  readonly maxCostUsd: number | undefined;
  readonly parent: BudgetTracker | undefined;
  readonly #children: BudgetTracker[] = [];
  #usedTokens = 0;
  #usedCost = 0;
  #heldTokens = 0;
  #heldCost = 0;
  #anomalies = 0;

  constructor(options: BudgetTrackerOptions, parent?: BudgetTracker) {
    if (!(options.maxTokens >= 0))
      throw new RangeError(`BudgetTracker ${options.name}: maxTokens must be >= 0`);
    if (options.maxCostUsd !== undefined && !(options.maxCostUsd >= 0))
      throw new RangeError(`BudgetTracker ${options.name}: maxCostUsd must be >= 0`);
    this.id = options.id ?? randomUUID();
    this.name = options.name;
    this.maxTokens = options.maxTokens;
    this.maxCostUsd = options.maxCostUsd;
    this.parent = parent;
  }

  /** A sub-budget for a delegate: its own cap, inside this one's. */
  child(options: BudgetTrackerOptions): BudgetTracker {
    const c = new BudgetTracker(options, this);
    this.#children.push(c);
    return c;
  }

  /** This level and its ancestors, from this one up to the root. */
  chain(): BudgetTracker[] {
    const out: BudgetTracker[] = [];
    for (let t: BudgetTracker | undefined = this; t !== undefined; t = t.parent) out.push(t);
    return out;
  }

  /** The tracker with `id` in this subtree (this one included), if any. */
  find(id: string): BudgetTracker | undefined {
    if (this.id === id) return this;
    for (const c of this.#children) {
      const hit = c.find(id);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** Settled usage charged to this level (its descendants' calls included). */
  used(): BudgetUsage {
    return { tokens: this.#usedTokens, costUsd: this.#usedCost };
  }

  /** Settlements where the provider reported more than was reserved (charged the reservation instead). */
  anomalies(): number {
    return this.#anomalies;
  }

  /** Estimates held by calls in flight at this level. */
  held(): BudgetUsage {
    return { tokens: this.#heldTokens, costUsd: this.#heldCost };
  }

  /**
   * What a new call charged here may still use: the smallest room left on this level and every
   * ancestor (cap − used − held, never below 0). `costUsd` is `Infinity` when no level caps cost.
   */
  remaining(): BudgetUsage {
    let tokens = Number.POSITIVE_INFINITY;
    let costUsd = Number.POSITIVE_INFINITY;
    for (const t of this.chain()) {
      tokens = Math.min(tokens, Math.max(0, t.maxTokens - t.#usedTokens - t.#heldTokens));
      if (t.maxCostUsd !== undefined)
        costUsd = Math.min(costUsd, Math.max(0, t.maxCostUsd - t.#usedCost - t.#heldCost));
    }
    return { tokens, costUsd };
  }

  /**
   * Holds `tokens` and `costUsd` on every level, or throws {@link LLMBudgetExceededError}
   * (`budget: 'chain'`) naming the first level that cannot afford it. Synchronous.
   */
  reserve(tokens: number, costUsd: number): ChainReservation {
    const levels = this.chain();
    for (const t of levels) {
      if (t.#usedTokens + t.#heldTokens + tokens > t.maxTokens) {
        throw new LLMBudgetExceededError(
          `chain budget "${t.name}" (${t.id}) would be exceeded: ${t.#usedTokens} used + ${t.#heldTokens} held + ${tokens} estimated > ${t.maxTokens} tokens; no call made`,
          { budget: 'chain' },
        );
      }
      if (t.maxCostUsd !== undefined && t.#usedCost + t.#heldCost + costUsd > t.maxCostUsd) {
        throw new LLMBudgetExceededError(
          `chain budget "${t.name}" (${t.id}) would be exceeded: $${(t.#usedCost + t.#heldCost).toFixed(6)} spent or held + $${costUsd.toFixed(6)} estimated > $${t.maxCostUsd}; no call made`,
          { budget: 'chain' },
        );
      }
    }
    for (const t of levels) {
      t.#heldTokens += tokens;
      t.#heldCost += costUsd;
    }
    let open = true;
    const drop = () => {
      for (const t of levels) {
        t.#heldTokens -= tokens;
        t.#heldCost -= costUsd;
      }
    };
    return {
      settle: (actualTokens, actualCost) => {
        if (!open) return false;
        open = false;
        drop();
        const over = actualTokens > tokens || actualCost > costUsd;
        const chargedTokens = Math.min(actualTokens, tokens);
        const chargedCost = Math.min(actualCost, costUsd);
        for (const t of levels) {
          t.#usedTokens += chargedTokens;
          t.#usedCost += chargedCost;
          if (over) t.#anomalies += 1;
        }
        return over;
      },
      release: () => {
        if (!open) return;
        open = false;
        drop();
      },
    };
  }

  /** Charges usage directly (no check): for work paid outside the gateway. */
  charge(tokens: number, costUsd = 0): void {
    for (const t of this.chain()) {
      t.#usedTokens += tokens;
      t.#usedCost += costUsd;
    }
  }

  /** A plain view for logs and HTTP: id, name, caps, used, held, remaining, and the parent's id. */
  toJSON(): {
    id: string;
    name: string;
    parent: string | undefined;
    maxTokens: number;
    maxCostUsd: number | undefined;
    used: BudgetUsage;
    held: BudgetUsage;
    remaining: { tokens: number; costUsd: number | null };
    anomalies: number;
  } {
    const r = this.remaining();
    return {
      id: this.id,
      name: this.name,
      parent: this.parent?.id,
      maxTokens: this.maxTokens,
      maxCostUsd: this.maxCostUsd,
      used: this.used(),
      held: this.held(),
      remaining: { tokens: r.tokens, costUsd: Number.isFinite(r.costUsd) ? r.costUsd : null },
      anomalies: this.#anomalies,
    };
  }
}
