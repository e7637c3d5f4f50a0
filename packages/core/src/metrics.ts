/** Upper bounds (ms) of the latency histogram buckets; a last `+Inf` bucket is implied. */
export const LATENCY_BUCKETS_MS = [
  5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000,
] as const;

/** Provider-call latency: a cumulative histogram (Prometheus style) and percentiles of recent calls. */
export interface LatencySnapshot {
  count: number;
  /** Sum of all latencies, in ms. */
  sumMs: number;
  /** Cumulative counts: `count` of calls with latency ≤ `le` ms (`le: Infinity` = all). */
  buckets: { le: number; count: number }[];
  /** Percentiles over the last 1,024 calls, in ms (0 when none). */
  p50: number;
  p90: number;
  p99: number;
}

/** Counters the gateway keeps in memory since it started (the ledger keeps the durable record). */
export interface CounterSnapshot {
  /** Requests received by `execute` / `tryExecute`. */
  requests: number;
  /** Provider calls made. */
  calls: number;
  callsOk: number;
  callsFailed: number;
  /** Failed calls by `LLMError` code. */
  errorsByCode: Record<string, number>;
  /** Refusals (no call) by reason: `budget`, `chain`, `cooldown`, `policy`, `invalid_request`. */
  refusals: Record<string, number>;
  cacheHits: number;
  cacheMisses: number;
  /** `cacheHits / (cacheHits + cacheMisses)`, 0 when no lookups. */
  cacheHitRate: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  /** Circuit breakers opened (or reopened). */
  breakerOpened: number;
  /** Calls whose reported usage exceeded their chain reservation (charged the reservation). */
  usageAnomalies: number;
  /** Calls to a paid model without a price (their cost is counted as 0: set `gateway.prices`). */
  unpricedCalls: number;
  latency: LatencySnapshot;
}

const RING = 1024;

/** The in-memory counters behind `Gateway.metrics()`. */
export class GatewayCounters {
  requests = 0;
  callsOk = 0;
  callsFailed = 0;
  cacheHits = 0;
  cacheMisses = 0;
  tokensIn = 0;
  tokensOut = 0;
  costUsd = 0;
  breakerOpened = 0;
  usageAnomalies = 0;
  unpricedCalls = 0;
  readonly errorsByCode: Record<string, number> = {};
  readonly refusals: Record<string, number> = {};
  readonly #bucketCounts = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  readonly #ring = new Float64Array(RING);
  #ringSize = 0;
  #ringNext = 0;
  #latencyCount = 0;
  #latencySum = 0;

  /** Records one provider call's latency in ms. */
  observeLatency(ms: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS_MS.length && ms > (LATENCY_BUCKETS_MS[i] as number)) i++;
    this.#bucketCounts[i] = (this.#bucketCounts[i] ?? 0) + 1;
    this.#latencyCount += 1;
    this.#latencySum += ms;
    this.#ring[this.#ringNext] = ms;
    this.#ringNext = (this.#ringNext + 1) % RING;
    this.#ringSize = Math.min(RING, this.#ringSize + 1);
  }

  /** Counts a refusal. */
  refused(reason: string): void {
    this.refusals[reason] = (this.refusals[reason] ?? 0) + 1;
  }

  /** Counts a failed call. */
  failed(code: string): void {
    this.callsFailed += 1;
    this.errorsByCode[code] = (this.errorsByCode[code] ?? 0) + 1;
  }

  /** A copy of every counter. */
  snapshot(): CounterSnapshot {
    const sorted = Array.from(this.#ring.subarray(0, this.#ringSize)).sort((a, b) => a - b);
    const pct = (p: number) =>
      sorted.length === 0
        ? 0
        : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
    let cumulative = 0;
    const buckets = [...LATENCY_BUCKETS_MS, Number.POSITIVE_INFINITY].map((le, i) => {
      cumulative += this.#bucketCounts[i] ?? 0;
      return { le, count: cumulative };
    });
    const lookups = this.cacheHits + this.cacheMisses;
    return {
      requests: this.requests,
      calls: this.callsOk + this.callsFailed,
      callsOk: this.callsOk,
      callsFailed: this.callsFailed,
      errorsByCode: { ...this.errorsByCode },
      refusals: { ...this.refusals },
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
      cacheHitRate: lookups === 0 ? 0 : this.cacheHits / lookups,
      tokensIn: this.tokensIn,
      tokensOut: this.tokensOut,
      costUsd: this.costUsd,
      breakerOpened: this.breakerOpened,
      usageAnomalies: this.usageAnomalies,
      unpricedCalls: this.unpricedCalls,
      latency: {
        count: this.#latencyCount,
        sumMs: this.#latencySum,
        buckets,
        p50: pct(50),
        p90: pct(90),
        p99: pct(99),
      },
    };
  }
}
