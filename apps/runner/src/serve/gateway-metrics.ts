import { type GatewayMetrics, LATENCY_BUCKETS_MS } from '@orrery/core';
import {
  Counter,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricType,
  type MetricValueWithName,
  type Registry,
} from 'prom-client';

const REFUSAL_REASONS = ['budget', 'chain', 'cooldown', 'policy', 'invalid_request'] as const;
const LATENCY = 'orrery_llm_call_duration_seconds';
const HELP = 'Provider call latency, seconds.';
// prom-client declares `MetricType` as an enum its JavaScript does not export; its value is the string.
const HISTOGRAM = 'histogram' as unknown as MetricType.Histogram;

/** A value as prom-client's registry formats it: the series' suffixed name and its labels. */
interface ExportedValue {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

/**
 * A histogram whose buckets are a snapshot kept elsewhere (the gateway's cumulative latency
 * histogram, in ms), shown in seconds. prom-client's `Histogram` can only observe; this one is set.
 */
class SnapshotHistogram extends Histogram {
  #values: ExportedValue[] = [];

  constructor(registry: Registry) {
    super({
      name: LATENCY,
      help: HELP,
      buckets: LATENCY_BUCKETS_MS.map((ms) => ms / 1000),
      registers: [registry],
    });
  }

  /** Replaces the buckets, sum and count by the gateway's (`le` in ms, cumulative). */
  setSnapshot(latency: GatewayMetrics['latency']): void {
    this.#values = [
      ...latency.buckets.map((b) => ({
        value: b.count,
        labels: { le: Number.isFinite(b.le) ? b.le / 1000 : '+Inf' },
        metricName: `${LATENCY}_bucket`,
      })),
      { value: latency.sumMs / 1000, labels: {}, metricName: `${LATENCY}_sum` },
      { value: latency.count, labels: {}, metricName: `${LATENCY}_count` },
    ];
  }

  /** What the registry writes (it calls this one when present, else `get`). */
  async getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    return {
      name: LATENCY,
      help: HELP,
      type: HISTOGRAM,
      aggregator: 'sum',
      collect: () => undefined,
      values: this.#values,
    };
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    return this.getForPromString();
  }
}

/**
 * The gateway's in-memory counters ({@link GatewayMetrics}) as Prometheus families on `registry`,
 * refreshed from a snapshot at each scrape by {@link GatewayMetricsExporter.update}. Names are those
 * dashboards read since the first `/metrics`: `orrery_llm_*`; latency in seconds.
 */
export class GatewayMetricsExporter {
  readonly #requests: Counter;
  readonly #calls: Counter<'outcome'>;
  readonly #errors: Counter<'code'>;
  readonly #refusals: Counter<'reason'>;
  readonly #cacheHits: Counter;
  readonly #cacheMisses: Counter;
  readonly #tokens: Counter<'direction'>;
  readonly #cost: Counter;
  readonly #gauges: Record<GaugeName, Gauge>;
  readonly #cooldownLeft: Gauge<'provider' | 'model'>;
  readonly #latency: SnapshotHistogram;

  constructor(registry: Registry) {
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Counter<L>({ name, help, labelNames, registers: [registry] });
    this.#requests = counter('orrery_llm_requests_total', 'Requests received by the gateway.');
    this.#calls = counter('orrery_llm_calls_total', 'Provider calls made, by outcome.', ['outcome']);
    this.#errors = counter('orrery_llm_errors_total', 'Failed provider calls, by error code.', ['code']);
    this.#refusals = counter('orrery_llm_refusals_total', 'Requests refused before any call, by reason.', [
      'reason',
    ]);
    this.#cacheHits = counter('orrery_llm_cache_hits_total', 'Answers served from the cache.');
    this.#cacheMisses = counter('orrery_llm_cache_misses_total', 'Cache lookups that missed.');
    this.#tokens = counter('orrery_llm_tokens_total', 'Tokens of the calls made, by direction.', [
      'direction',
    ]);
    this.#cost = counter('orrery_llm_cost_usd_total', 'Estimated spend of the calls made, USD.');
    this.#gauges = Object.fromEntries(
      Object.entries(GAUGES).map(([name, help]) => [name, new Gauge({ name, help, registers: [registry] })]),
    ) as Record<GaugeName, Gauge>;
    this.#cooldownLeft = new Gauge({
      name: 'orrery_llm_cooldown_remaining_seconds',
      help: 'Seconds until a cooling pair may be called again.',
      labelNames: ['provider', 'model'],
      registers: [registry],
    });
    this.#latency = new SnapshotHistogram(registry);
  }

  /** Sets every family from the gateway's snapshot; `now` (ms, the gateway's clock) dates the cooldowns. */
  update(m: GatewayMetrics, now: number): void {
    setCounter(this.#requests, m.requests);
    this.#calls.reset();
    this.#calls.inc({ outcome: 'ok' }, m.callsOk);
    this.#calls.inc({ outcome: 'failed' }, m.callsFailed);
    this.#errors.reset();
    for (const [code, n] of Object.entries(m.errorsByCode)) this.#errors.inc({ code }, n);
    this.#refusals.reset();
    for (const reason of new Set<string>([...REFUSAL_REASONS, ...Object.keys(m.refusals)]))
      this.#refusals.inc({ reason }, m.refusals[reason] ?? 0);
    setCounter(this.#cacheHits, m.cacheHits);
    setCounter(this.#cacheMisses, m.cacheMisses);
    this.#tokens.reset();
    this.#tokens.inc({ direction: 'in' }, m.tokensIn);
    this.#tokens.inc({ direction: 'out' }, m.tokensOut);
    setCounter(this.#cost, m.costUsd);
    const b = m.budget;
    const values: Record<GaugeName, number> = {
      orrery_llm_cache_hit_ratio: m.cacheHitRate,
      orrery_llm_cache_entries: m.cacheEntries,
      orrery_llm_cooldowns_active: m.cooldownsActive.length,
      orrery_llm_budget_calls_used: b.callsUsed,
      orrery_llm_budget_calls_limit: b.callsLimit,
      orrery_llm_budget_calls_left: Math.max(0, b.callsLimit - b.callsUsed),
      orrery_llm_budget_tokens_used: b.tokensUsed,
      orrery_llm_budget_tokens_limit: b.tokensLimit,
      orrery_llm_budget_tokens_left: Math.max(0, b.tokensLimit - b.tokensUsed),
      orrery_llm_budget_remaining_ratio: b.remainingFraction,
      orrery_llm_budget_exhausted: b.exhausted ? 1 : 0,
    };
    for (const [name, v] of Object.entries(values)) this.#gauges[name as GaugeName].set(v);
    this.#cooldownLeft.reset();
    for (const c of m.cooldownsActive)
      this.#cooldownLeft.set({ provider: c.provider, model: c.model }, Math.max(0, (c.until - now) / 1000));
    this.#latency.setSnapshot(m.latency);
  }
}

const GAUGES = {
  orrery_llm_cache_hit_ratio: 'Cache hits over lookups since start (0 when none).',
  orrery_llm_cache_entries: 'Entries in the answer cache.',
  orrery_llm_cooldowns_active: 'Provider/model pairs cooling down after a 429.',
  orrery_llm_budget_calls_used: 'Calls counted in the rolling hour.',
  orrery_llm_budget_calls_limit: 'Calls allowed per rolling hour.',
  orrery_llm_budget_calls_left: 'Calls left in the rolling hour (reserve included).',
  orrery_llm_budget_tokens_used: 'Tokens counted in the rolling hour.',
  orrery_llm_budget_tokens_limit: 'Tokens allowed per rolling hour.',
  orrery_llm_budget_tokens_left: 'Tokens left in the rolling hour (reserve included).',
  orrery_llm_budget_remaining_ratio: 'The smaller of the calls and tokens fractions left, 0..1.',
  orrery_llm_budget_exhausted: '1 when only the critical reserve (or nothing) is left.',
} as const;
type GaugeName = keyof typeof GAUGES;

/** A counter whose total is kept elsewhere: shown as that total. */
function setCounter(c: Counter, total: number): void {
  c.reset();
  c.inc(total);
}
