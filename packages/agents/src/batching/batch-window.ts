import {
  LLMCallLimitError,
  LLMError,
  LLMErrorCode,
  type LLMRequest,
  type LLMResponse,
  type ModelTarget,
} from '@orrery/core';
import type { CallAllowance } from '../call-allowance.ts';
import { emptyUsage, type LLMCaller, type LlmUsage } from '../llm-caller.ts';
import { allocateInts } from './allocate.ts';
import { type BatchPart, batchKey, combineRequests, splitAnswer } from './batch-prompt.ts';
import { formatCallRef } from './call-ref.ts';

/** How {@link SolarSystem.cycleMany} batches planet calls. */
export interface BatchOptions {
  /** Most symbols asked in one call; a larger group is split into several calls (default 25). */
  maxSymbols?: number | undefined;
  /** Answer token cap of a batched call (default 8192; the sum of its parts' caps when smaller). */
  maxTokens?: number | undefined;
}

/** Default {@link BatchOptions.maxSymbols}. */
export const DEFAULT_BATCH_SYMBOLS = 25;
/** Default {@link BatchOptions.maxTokens}. */
export const DEFAULT_BATCH_TOKENS = 8192;
/** The answer cap assumed for a part that set none (the planets' own default). */
const PART_TOKENS = 400;

/**
 * One symbol's place in a batch window: hands out the planets' call permits for its cycle and tells the
 * window when no more will come, so the window knows when every symbol that will ask has asked.
 */
export interface BatchMember {
  readonly symbol: string;
  /** The one-call permit of `agent` (`planet:<name>`) for this cycle; its call joins the batch. */
  permit(agent: string): CallAllowance;
  /** Every permit of this cycle has been handed out (or none will be). Idempotent. */
  seal(): void;
  /** The cycle is over: permits never used are released, calls still waiting are withdrawn. Idempotent. */
  done(): void;
}

/** Errors after which a provider request was actually made (and may have cost tokens). */
const PROVIDER_REACHED: ReadonlySet<string> = new Set([
  LLMErrorCode.RATE_LIMITED,
  LLMErrorCode.TIMEOUT,
  LLMErrorCode.PROVIDER,
  LLMErrorCode.RESPONSE_FORMAT,
]);

interface Slot {
  symbol: string;
  agent: string;
  /** `open`: may still ask; `waiting`: asked, not answered; `closed`: answered, released or withdrawn. */
  state: 'open' | 'waiting' | 'closed';
  req: LLMRequest<unknown> | undefined;
  /** The cache settings of a request looked up and missed: its answer is stored under them (`cachePut`). */
  store: LLMRequest<unknown>['cache'];
  resolve: (r: LLMResponse<unknown>) => void;
  reject: (e: unknown) => void;
  usage: LlmUsage;
}

/**
 * Coordinates the planet calls of several symbols' cycles on the same bar time: each planet waits until
 * every symbol's cycle has either asked it, decided not to, or ended; then all the questions to that
 * planet go out as one call (one prompt, one JSON answer keyed by symbol, each part validated on its
 * own). A lone question goes out unchanged. A part that is missing or invalid fails only its symbol
 * (`LLMResponseFormatError`), whose planet then keeps its deterministic analysis.
 *
 * Usage is shared out: each symbol's permit counts `1/n` of the call (so the cycle records of one batch add
 * up to one call), and tokens and cost in proportion to the size of its section and of its answer.
 */
export class BatchWindow {
  readonly #gateway: LLMCaller;
  readonly #time: number;
  readonly #maxSymbols: number;
  readonly #maxTokens: number;
  readonly #members = new Map<string, 'running' | 'sealed' | 'done'>();
  readonly #slots = new Map<string, Slot[]>();
  readonly #flushed = new Set<string>();
  #scheduled = false;

  /** @throws RangeError for a non-positive `maxSymbols` or `maxTokens`. */
  constructor(gateway: LLMCaller, time: number, symbols: readonly string[], opts: BatchOptions = {}) {
    this.#gateway = gateway;
    this.#time = time;
    this.#maxSymbols = positiveInt(opts.maxSymbols ?? DEFAULT_BATCH_SYMBOLS, 'maxSymbols');
    this.#maxTokens = positiveInt(opts.maxTokens ?? DEFAULT_BATCH_TOKENS, 'maxTokens');
    for (const s of symbols) this.#members.set(s, 'running');
  }

  /** The member handle of `symbol` (one of the window's symbols). */
  member(symbol: string): BatchMember {
    if (!this.#members.has(symbol)) throw new RangeError(`symbol ${symbol} is not in this batch window`);
    return {
      symbol,
      permit: (agent) => this.#permit(symbol, agent),
      seal: () => {
        if (this.#members.get(symbol) === 'running') this.#members.set(symbol, 'sealed');
        this.#schedule();
      },
      done: () => {
        this.#members.set(symbol, 'done');
        for (const slots of this.#slots.values()) {
          for (const s of slots) {
            if (s.symbol !== symbol || s.state === 'closed') continue;
            if (s.state === 'waiting')
              s.reject(new Error(`the cycle of ${symbol} ended before its call was made`));
            s.state = 'closed';
          }
        }
        this.#schedule();
      },
    };
  }

  #permit(symbol: string, agent: string): CallAllowance {
    let resolve!: Slot['resolve'];
    let reject!: Slot['reject'];
    const answered = new Promise<LLMResponse<unknown>>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    answered.catch(() => undefined); // rejections are observed through execute()
    const slot: Slot = {
      symbol,
      agent,
      state: 'open',
      req: undefined,
      store: undefined,
      resolve,
      reject,
      usage: emptyUsage(),
    };
    const list = this.#slots.get(agent) ?? [];
    list.push(slot);
    this.#slots.set(agent, list);
    let used = 0;
    const window = this;
    return {
      agent,
      limit: 1,
      batched: true,
      get used() {
        return used;
      },
      usage: slot.usage,
      execute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>> {
        if (used >= 1) {
          return Promise.reject(
            new LLMCallLimitError(
              `${agent} already made 1 of its 1 LLM call(s) this cycle; this call was refused and not sent`,
              { agent, limit: 1 },
            ),
          );
        }
        used = 1;
        if (slot.state !== 'open') {
          return Promise.reject(new Error(`the cycle of ${symbol} ended before ${agent} asked`));
        }
        const ref = formatCallRef({ time: window.#time, symbols: [symbol], agent, seq: 1 });
        slot.req = { ...req, agent, ref } as LLMRequest<unknown>;
        slot.state = 'waiting';
        const signal = req.signal;
        const onAbort = () => {
          if (slot.state === 'waiting') {
            slot.state = 'closed';
            window.#schedule();
          }
          slot.reject(signal?.reason ?? new Error('aborted'));
        };
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
        window.#schedule();
        return answered.finally(() => signal?.removeEventListener('abort', onAbort)) as Promise<
          LLMResponse<T>
        >;
      },
      release() {
        if (slot.state === 'open') {
          slot.state = 'closed';
          window.#schedule();
        }
      },
    };
  }

  /** Checks (once per turn of the microtask queue) which agents can go out, so no I/O starts inside a caller. */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const allAsked = [...this.#members.values()].every((m) => m !== 'running');
      if (!allAsked) return;
      for (const [agent, slots] of this.#slots) {
        if (this.#flushed.has(agent) || slots.some((s) => s.state === 'open')) continue;
        this.#flushed.add(agent);
        void this.#flush(
          agent,
          slots.filter((s) => s.state === 'waiting'),
        );
      }
    });
  }

  async #flush(agent: string, asked: Slot[]): Promise<void> {
    // Parts in the window's symbol order, whatever order the questions arrived in: the same cycle always
    // sends the same prompt (recorded answers replay).
    const order = [...this.#members.keys()];
    const sorted = [...asked].sort((a, b) => order.indexOf(a.symbol) - order.indexOf(b.symbol));
    // Each part that names a cache key is looked up on its own first; a hit is served from the cache and
    // never joins the batch, so only the misses are asked (and their answers stored per part).
    const served = await Promise.all(sorted.map((s) => this.#lookup(s)));
    const waiting = sorted.filter((s, i) => !served[i] && s.state === 'waiting');
    const groups = new Map<string, Slot[]>();
    const alone: Slot[] = [];
    for (const s of waiting) {
      const key = batchKey(s.req!);
      if (key === undefined) alone.push(s);
      else groups.set(key, [...(groups.get(key) ?? []), s]);
    }
    const calls: Promise<void>[] = alone.map((s) => this.#single(s));
    let seq = 0;
    for (const group of groups.values()) {
      for (let i = 0; i < group.length; i += this.#maxSymbols) {
        const chunk = group.slice(i, i + this.#maxSymbols);
        calls.push(chunk.length === 1 ? this.#single(chunk[0]!) : this.#batched(agent, chunk, ++seq));
      }
    }
    await Promise.all(calls);
  }

  /**
   * Looks up a part carrying `cache.key` with a cache-only request (`cache.only`: a hit is a `cache_hit`
   * ledger row and recorded like any answer; a miss makes no call). True when the slot is settled (served,
   * or failed the way its own call would have); false when it must be asked. On a miss the part's request
   * loses its `cache` (so it can be batched) and `store` keeps it for storing the answer. A gateway
   * without `cachePut` gets no lookup: the part goes out alone, as the planet wrote it.
   */
  async #lookup(s: Slot): Promise<boolean> {
    const req = s.req!;
    const cache = req.cache;
    if (cache?.key === undefined || this.#gateway.cachePut === undefined) return false;
    let res: LLMResponse<unknown>;
    try {
      res = await this.#gateway.execute({ ...req, cache: { ...cache, only: true } });
    } catch (err) {
      if (err instanceof LLMError && err.code === LLMErrorCode.CACHE_MISS) {
        const { cache: _, ...bare } = req;
        s.req = bare;
        s.store = cache;
        return false;
      }
      if (s.state === 'waiting') {
        s.state = 'closed';
        s.reject(err);
      }
      return true;
    }
    if (s.state !== 'waiting') return true;
    if (!res.cached) s.usage.calls += 1;
    s.usage.tokensIn += res.tokensIn;
    s.usage.tokensOut += res.tokensOut;
    s.usage.costUsd += res.costUsd;
    s.state = 'closed';
    s.resolve(res);
    return true;
  }

  /** Stores a part's answer under the cache key its lookup missed (no call, no budget). */
  #store(
    s: Slot,
    answer: { provider: string; model: string; text: string; tokensIn: number; tokensOut: number },
  ) {
    if (s.store === undefined || this.#gateway.cachePut === undefined) return;
    this.#gateway.cachePut({ ...s.req!, cache: s.store }, answer);
  }

  /** A question asked alone: the request as the planet wrote it (without `cache` after a missed lookup). */
  async #single(s: Slot): Promise<void> {
    try {
      const res = await this.#gateway.execute(s.req!);
      if (res.success) this.#store(s, res);
      if (!res.cached) s.usage.calls += 1;
      s.usage.tokensIn += res.tokensIn;
      s.usage.tokensOut += res.tokensOut;
      s.usage.costUsd += res.costUsd;
      s.resolve(res);
    } catch (err) {
      if (err instanceof LLMError && PROVIDER_REACHED.has(err.code)) s.usage.calls += 1;
      s.reject(err);
    } finally {
      s.state = 'closed';
    }
  }

  async #batched(agent: string, chunk: Slot[], seq: number): Promise<void> {
    const parts: BatchPart[] = chunk.map((s) => ({ symbol: s.symbol, req: s.req! }));
    const ref = formatCallRef({ time: this.#time, symbols: parts.map((p) => p.symbol), agent, seq });
    const req = {
      ...combineRequests(parts, { ref, maxTokensCap: this.#maxTokens, defaultMaxTokens: PART_TOKENS }),
      agent,
    };
    const share = 1 / chunk.length;
    let res: LLMResponse<Record<string, unknown>>;
    try {
      res = await this.#gateway.execute(req);
    } catch (err) {
      const reached = err instanceof LLMError && PROVIDER_REACHED.has(err.code);
      for (const s of chunk) {
        if (reached) s.usage.calls += share;
        s.state = 'closed';
        s.reject(err);
      }
      return;
    }
    const where: ModelTarget = { provider: res.provider, model: res.model };
    const results =
      res.success && res.parsed !== undefined ? splitAnswer(parts, res.parsed, where) : undefined;
    const inWeights = parts.map((p) => (p.req.messages[1]?.content.length ?? 0) + 1);
    const outWeights = results?.map((r) => r.text.length + 1) ?? inWeights;
    const tokensIn = allocateInts(res.tokensIn, inWeights);
    const tokensOut = allocateInts(res.tokensOut, outWeights);
    const total = res.tokensIn + res.tokensOut;
    chunk.forEach((s, i) => {
      const tin = tokensIn[i] ?? 0;
      const tout = tokensOut[i] ?? 0;
      const cost = total > 0 ? (res.costUsd * (tin + tout)) / total : res.costUsd * share;
      if (!res.cached) s.usage.calls += share;
      s.usage.tokensIn += tin;
      s.usage.tokensOut += tout;
      s.usage.costUsd += cost;
      s.state = 'closed';
      const r = results?.[i];
      if (r === undefined) {
        s.resolve({ ...res, tokensIn: tin, tokensOut: tout, costUsd: cost, parsed: undefined });
      } else if (r.ok) {
        this.#store(s, { ...where, text: r.text, tokensIn: tin, tokensOut: tout });
        s.resolve({ ...res, text: r.text, parsed: r.parsed, tokensIn: tin, tokensOut: tout, costUsd: cost });
      } else {
        s.reject(r.error);
      }
    });
  }
}

function positiveInt(n: number, name: string): number {
  if (!(Number.isInteger(n) && n >= 1))
    throw new RangeError(`batching ${name} must be an integer >= 1, got ${n}`);
  return n;
}
