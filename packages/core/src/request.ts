import type { z } from 'zod';
import type { BudgetTracker } from './budget-tracker.ts';
import type { ExecutionMode } from './mode.ts';

/** One chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/**
 * The market features an answer was computed from, and how far each may move before the answer is
 * stale. A cache lookup whose current features moved past a threshold is a miss and evicts the entry.
 */
export interface MaterialFeatures {
  /** Feature values when the answer was computed (e.g. `{ price: 101.2, rsi: 55 }`). */
  features: Readonly<Record<string, number>>;
  /** Absolute move per feature that makes the entry stale (e.g. `{ price: 1.5, rsi: 10 }`). */
  thresholds: Readonly<Record<string, number>>;
}

/** A pinned target, bypassing routing preferences (policy and cooldowns still apply). */
export interface ModelTarget {
  provider: string;
  model: string;
}

/**
 * What an agent asks of the gateway. `task` selects the routing rule and the trivial/judgment policy.
 */
export interface LLMRequest<T = unknown> {
  /** Task type, e.g. `trade_decision`, `summarise`, `extract_entities`, `planet_analysis`. */
  task: string;
  messages: readonly ChatMessage[];
  /** When given, the answer must be JSON matching this schema; otherwise `LLMResponseFormatError`. */
  schema?: z.ZodType<T> | undefined;
  /** Critical requests may spend the budget's reserve and, if their pair is cooling, try a fallback. */
  critical?: boolean | undefined;
  /** The mode of the cycle asking (recorded in the ledger). */
  mode?: ExecutionMode | undefined;
  /** Who is asking (`sun`, `planet:risk`, …), recorded in the ledger. */
  agent?: string | undefined;
  /**
   * The caller's correlation id (e.g. which cycle of which symbol asked), recorded in the ledger row of
   * the request so an audit can link the row back to what asked for it. Not part of the cache key.
   */
  ref?: string | undefined;
  /** Upper bound on answer tokens (also used for the pre-call estimate). */
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  /** Per-request time limit; defaults to the provider's. */
  timeoutMs?: number | undefined;
  /** Pins provider and model instead of the routing rule's preference list. */
  target?: ModelTarget | undefined;
  /**
   * Cache the answer (keyed by task + normalised request) until the TTL or a material change. With
   * `key`, the entry is keyed by task + `key` + schema + target instead of the messages: the caller
   * vouches that `key` names everything the answer depends on (e.g. a planet's quantised inputs), so a
   * request whose wording moved below the caller's thresholds still finds the entry.
   *
   * With `only`, the request is a lookup and never a call: a usable entry is served (a `cache_hit`,
   * no budget), anything else throws `LLMCacheMissError` (no call, no budget). A batch window looks up
   * each part this way, batches only the misses and stores each part's answer with `Gateway.cachePut`.
   */
  cache?:
    | {
        ttlMs: number;
        material?: MaterialFeatures | undefined;
        key?: string | undefined;
        only?: boolean | undefined;
      }
    | undefined;
  /** The current features, checked against cached entries' thresholds. */
  currentFeatures?: Readonly<Record<string, number>> | undefined;
  /** Cancels the call. */
  signal?: AbortSignal | undefined;
  /**
   * Streams a text answer: each piece of text the provider sends is passed on as it arrives (the
   * provider is asked to stream). Requests with a schema or JSON answer are not streamed (their answer is
   * validated whole); nor are cache hits. The response is the same as without it. Not part of the cache key.
   */
  onText?: ((text: string) => void) | undefined;
  /**
   * The delegation chain's budget: the call's estimate is held on this tracker and every ancestor before
   * the provider is called (`LLMBudgetExceededError`, `budget: 'chain'`, if any level cannot afford it),
   * then settled with the actual usage.
   */
  budget?: BudgetTracker | undefined;
}

/** The answer to an {@link LLMRequest}. Every call, cached or not, failed or not, is one of these. */
export interface LLMResponse<T = unknown> {
  text: string;
  /** The validated JSON answer, when the request had a schema and the answer matched it. */
  parsed?: T | undefined;
  provider: string;
  model: string;
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  cached: boolean;
  success: boolean;
  /** Set when `success` is false: the typed error's code and message. */
  error?: { code: string; message: string } | undefined;
}
