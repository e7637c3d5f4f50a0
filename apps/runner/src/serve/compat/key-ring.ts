import {
  type BudgetTracker,
  type BudgetUsage,
  type GatewayAdmin,
  LLMBudgetExceededError,
  LLMErrorCode,
} from '@orrery/core';
import type { VirtualKeyRecord, VirtualKeyStore } from '../virtual-keys.ts';

/** A virtual key as one server holds it: its record, its budget chain and its calls. */
export interface KeyState {
  record: VirtualKeyRecord;
  /** The root of the key's budget chain (id = the key's id, name `key:NAME`). */
  readonly tracker: BudgetTracker;
  /** Provider calls made with the key (every server's, as of when this one first saw it, plus its own). */
  calls: number;
  inFlight: number;
  /** The tracker's usage last written to the store. */
  flushed: BudgetUsage;
}

/** Codes of failures that happened after a provider call was made (they count as calls). */
const CALL_MADE = new Set<string>([
  LLMErrorCode.RATE_LIMITED,
  LLMErrorCode.TIMEOUT,
  LLMErrorCode.PROVIDER,
  LLMErrorCode.RESPONSE_FORMAT,
]);

/** True when a gateway failure with this code cost a provider call. */
export function failureMadeCall(code: string): boolean {
  return CALL_MADE.has(code);
}

/**
 * The virtual keys a server has seen: each bound to a budget chain opened on the gateway (so
 * `/chains` can open children under it and `/execute` can charge them), seeded with the usage the
 * store holds, its own usage written back as increments.
 */
export class KeyRing {
  readonly store: VirtualKeyStore;
  readonly #gateway: GatewayAdmin;
  readonly #states = new Map<string, KeyState>();

  constructor(store: VirtualKeyStore, gateway: GatewayAdmin) {
    this.store = store;
    this.#gateway = gateway;
  }

  /**
   * The state of a presented key, or why it is refused (unknown, revoked). Reads the store every time,
   * so a key revoked by `orrery keys revoke` in another process is refused from its next request on.
   */
  authenticate(key: string): { ok: true; state: KeyState } | { ok: false; message: string } {
    const record = this.store.lookup(key);
    if (record === undefined) return { ok: false, message: 'unknown virtual key' };
    if (record.revokedMs !== undefined) {
      return {
        ok: false,
        message: `virtual key "${record.name}" was revoked at ${new Date(record.revokedMs).toISOString()}`,
      };
    }
    let state = this.#states.get(record.id);
    if (state === undefined) {
      const tracker =
        this.#gateway.chain(record.id) ??
        this.#gateway.openChain({
          id: record.id,
          name: `key:${record.name}`,
          maxTokens: record.maxTokens ?? Number.POSITIVE_INFINITY,
          maxCostUsd: record.maxUsd,
        });
      tracker.charge(record.usedTokens, record.usedUsd);
      state = { record, tracker, calls: record.usedCalls, inFlight: 0, flushed: tracker.used() };
      this.#states.set(record.id, state);
    }
    state.record = record;
    return { ok: true, state };
  }

  /** The key whose budget chain contains the chain `id`, if any. */
  owner(id: string): KeyState | undefined {
    for (const s of this.#states.values()) if (s.tracker.find(id) !== undefined) return s;
    return undefined;
  }

  /**
   * Takes one call of the key's `--max-calls`, or returns the refusal (`LLMBudgetExceededError`,
   * `budget: 'chain'`; nothing is called). Pair with {@link endCall}.
   */
  beginCall(state: KeyState): LLMBudgetExceededError | undefined {
    const max = state.record.maxCalls;
    if (max !== undefined && state.calls + state.inFlight >= max) {
      return new LLMBudgetExceededError(
        `virtual key "${state.record.name}" has made ${state.calls} of its ${max} calls${state.inFlight > 0 ? ` (${state.inFlight} in flight)` : ''}; no call made`,
        { budget: 'chain' },
      );
    }
    state.inFlight += 1;
    return undefined;
  }

  /** Ends a call begun with {@link beginCall}; writes the key's new usage to the store. */
  endCall(state: KeyState, callMade: boolean): void {
    state.inFlight -= 1;
    if (callMade) state.calls += 1;
    this.#persist(state, callMade ? 1 : 0);
  }

  #persist(state: KeyState, calls: number): void {
    const used = state.tracker.used();
    const tokens = used.tokens - state.flushed.tokens;
    const usd = used.costUsd - state.flushed.costUsd;
    state.flushed = used;
    this.store.addUsage(state.record.id, tokens, calls, usd);
  }

  /** Writes what every key's chain used (children charged through `/execute` included) and flushes. */
  flush(): void {
    for (const s of this.#states.values()) this.#persist(s, 0);
    this.store.flush();
  }
}
