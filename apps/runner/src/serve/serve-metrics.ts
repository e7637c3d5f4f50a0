import { EXECUTION_MODES, type GatewayMetrics } from '@orrery/core';
import type { PromText } from './prometheus.ts';

/** Why the server turned a request away before it reached a route's work. */
export type Rejection =
  | 'overload'
  | 'unauthorized'
  | 'forbidden_host'
  | 'body_too_large'
  | 'invalid_body'
  | 'not_found';

const REJECTIONS: readonly Rejection[] = [
  'overload',
  'unauthorized',
  'forbidden_host',
  'body_too_large',
  'invalid_body',
  'not_found',
];
const REFUSAL_REASONS = ['budget', 'chain', 'cooldown', 'policy', 'invalid_request'] as const;

/** The server's own counters (the gateway keeps its own; {@link renderMetrics} shows both). */
export class ServeCounters {
  readonly #http = new Map<string, { route: string; status: string; n: number }>();
  readonly #modes = new Map<string, number>();
  readonly #planets = new Map<string, { planet: string; source: string; n: number }>();
  readonly #rejections = new Map<Rejection, number>();
  readonly #keys = new Map<
    string,
    {
      key: string;
      model: string;
      outcome: string;
      n: number;
      tokensIn: number;
      tokensOut: number;
      usd: number;
    }
  >();

  /** Counts one answered request by route template (`/planets/:name/analyze`) and status. */
  http(route: string, status: number): void {
    const key = `${route} ${status}`;
    const e = this.#http.get(key) ?? { route, status: String(status), n: 0 };
    e.n += 1;
    this.#http.set(key, e);
  }

  /** Counts one unit of work in a mode (`unspecified` when an execute request named none). */
  mode(mode: string): void {
    this.#modes.set(mode, (this.#modes.get(mode) ?? 0) + 1);
  }

  /** Counts one planet analysis by planet and where its signal came from. */
  planet(planet: string, source: string): void {
    const key = `${planet} ${source}`;
    const e = this.#planets.get(key) ?? { planet, source, n: 0 };
    e.n += 1;
    this.#planets.set(key, e);
  }

  /**
   * Counts one call of a compatible route (`/v1/*`) by virtual key name (`anonymous` without one), the
   * model that served it (`provider/model`, or the alias asked for when nothing did) and its outcome
   * (`ok`, `cache_hit`, `error`, `refused`), with its tokens and cost.
   */
  keyCall(
    key: string,
    model: string,
    outcome: string,
    tokensIn: number,
    tokensOut: number,
    usd: number,
  ): void {
    const id = `${key}\u0000${model}\u0000${outcome}`;
    let e = this.#keys.get(id);
    if (e === undefined) {
      e = { key, model, outcome, n: 0, tokensIn: 0, tokensOut: 0, usd: 0 };
      this.#keys.set(id, e);
    }
    e.n += 1;
    e.tokensIn += tokensIn;
    e.tokensOut += tokensOut;
    e.usd += usd;
  }

  /** Counts one rejection. */
  rejected(why: Rejection): void {
    this.#rejections.set(why, (this.#rejections.get(why) ?? 0) + 1);
  }

  /** Writes the server's families into `out`. */
  write(out: PromText, gauges: { inFlight: number; concurrencyLimit: number; openChains: number }): void {
    out.family(
      'orrery_http_requests_total',
      'counter',
      'HTTP requests answered, by route template and status.',
    );
    for (const e of this.#http.values())
      out.sample('orrery_http_requests_total', e.n, { route: e.route, status: e.status });
    out.family('orrery_http_rejected_total', 'counter', 'Requests turned away before their work, by reason.');
    for (const r of REJECTIONS)
      out.sample('orrery_http_rejected_total', this.#rejections.get(r) ?? 0, { reason: r });
    out
      .family('orrery_http_in_flight', 'gauge', 'Requests holding a concurrency slot now.')
      .sample('orrery_http_in_flight', gauges.inFlight)
      .family('orrery_http_concurrency_limit', 'gauge', 'Concurrency slots in total.')
      .sample('orrery_http_concurrency_limit', gauges.concurrencyLimit)
      .family('orrery_chains_open', 'gauge', 'Budget chains opened over HTTP and not closed.')
      .sample('orrery_chains_open', gauges.openChains);
    out.family(
      'orrery_mode_total',
      'counter',
      'Work served by execution mode (execute requests by their declared mode, planet analyses by theirs).',
    );
    for (const m of [...EXECUTION_MODES, 'unspecified'])
      out.sample('orrery_mode_total', this.#modes.get(m) ?? 0, { mode: m });
    out.family(
      'orrery_key_requests_total',
      'counter',
      'Calls of the OpenAI/Anthropic-compatible routes, by virtual key name, model and outcome.',
    );
    for (const e of this.#keys.values())
      out.sample('orrery_key_requests_total', e.n, { key: e.key, model: e.model, outcome: e.outcome });
    const spend = new Map<
      string,
      { key: string; model: string; tokensIn: number; tokensOut: number; usd: number }
    >();
    for (const e of this.#keys.values()) {
      const id = `${e.key}\u0000${e.model}`;
      const a = spend.get(id) ?? { key: e.key, model: e.model, tokensIn: 0, tokensOut: 0, usd: 0 };
      a.tokensIn += e.tokensIn;
      a.tokensOut += e.tokensOut;
      a.usd += e.usd;
      spend.set(id, a);
    }
    out.family(
      'orrery_key_tokens_total',
      'counter',
      'Tokens of those calls, by key name, model and direction.',
    );
    for (const a of spend.values()) {
      out
        .sample('orrery_key_tokens_total', a.tokensIn, { key: a.key, model: a.model, direction: 'in' })
        .sample('orrery_key_tokens_total', a.tokensOut, { key: a.key, model: a.model, direction: 'out' });
    }
    out.family(
      'orrery_key_cost_usd_total',
      'counter',
      'Estimated spend of those calls, USD, by key name and model.',
    );
    for (const a of spend.values())
      out.sample('orrery_key_cost_usd_total', a.usd, { key: a.key, model: a.model });
    out.family('orrery_planet_analyses_total', 'counter', 'Planet analyses, by planet and signal source.');
    for (const e of this.#planets.values())
      out.sample('orrery_planet_analyses_total', e.n, { planet: e.planet, source: e.source });
  }
}

/** The gateway's metrics in Prometheus families (latency in seconds, per Prometheus convention). */
export function writeGatewayMetrics(out: PromText, m: GatewayMetrics, now: number): void {
  out
    .family('orrery_llm_requests_total', 'counter', 'Requests received by the gateway.')
    .sample('orrery_llm_requests_total', m.requests)
    .family('orrery_llm_calls_total', 'counter', 'Provider calls made, by outcome.')
    .sample('orrery_llm_calls_total', m.callsOk, { outcome: 'ok' })
    .sample('orrery_llm_calls_total', m.callsFailed, { outcome: 'failed' });
  out.family('orrery_llm_errors_total', 'counter', 'Failed provider calls, by error code.');
  for (const [code, n] of Object.entries(m.errorsByCode)) out.sample('orrery_llm_errors_total', n, { code });
  out.family('orrery_llm_refusals_total', 'counter', 'Requests refused before any call, by reason.');
  const reasons = new Set<string>([...REFUSAL_REASONS, ...Object.keys(m.refusals)]);
  for (const reason of reasons) out.sample('orrery_llm_refusals_total', m.refusals[reason] ?? 0, { reason });
  out
    .family('orrery_llm_cache_hits_total', 'counter', 'Answers served from the cache.')
    .sample('orrery_llm_cache_hits_total', m.cacheHits)
    .family('orrery_llm_cache_misses_total', 'counter', 'Cache lookups that missed.')
    .sample('orrery_llm_cache_misses_total', m.cacheMisses)
    .family('orrery_llm_cache_hit_ratio', 'gauge', 'Cache hits over lookups since start (0 when none).')
    .sample('orrery_llm_cache_hit_ratio', m.cacheHitRate)
    .family('orrery_llm_cache_entries', 'gauge', 'Entries in the answer cache.')
    .sample('orrery_llm_cache_entries', m.cacheEntries)
    .family('orrery_llm_tokens_total', 'counter', 'Tokens of the calls made, by direction.')
    .sample('orrery_llm_tokens_total', m.tokensIn, { direction: 'in' })
    .sample('orrery_llm_tokens_total', m.tokensOut, { direction: 'out' })
    .family('orrery_llm_cost_usd_total', 'counter', 'Estimated spend of the calls made, USD.')
    .sample('orrery_llm_cost_usd_total', m.costUsd)
    .family('orrery_llm_cooldowns_active', 'gauge', 'Provider/model pairs cooling down after a 429.')
    .sample('orrery_llm_cooldowns_active', m.cooldownsActive.length);
  out.family(
    'orrery_llm_cooldown_remaining_seconds',
    'gauge',
    'Seconds until a cooling pair may be called again.',
  );
  for (const c of m.cooldownsActive)
    out.sample('orrery_llm_cooldown_remaining_seconds', Math.max(0, (c.until - now) / 1000), {
      provider: c.provider,
      model: c.model,
    });
  const b = m.budget;
  out
    .family('orrery_llm_budget_calls_used', 'gauge', 'Calls counted in the rolling hour.')
    .sample('orrery_llm_budget_calls_used', b.callsUsed)
    .family('orrery_llm_budget_calls_limit', 'gauge', 'Calls allowed per rolling hour.')
    .sample('orrery_llm_budget_calls_limit', b.callsLimit)
    .family('orrery_llm_budget_calls_left', 'gauge', 'Calls left in the rolling hour (reserve included).')
    .sample('orrery_llm_budget_calls_left', Math.max(0, b.callsLimit - b.callsUsed))
    .family('orrery_llm_budget_tokens_used', 'gauge', 'Tokens counted in the rolling hour.')
    .sample('orrery_llm_budget_tokens_used', b.tokensUsed)
    .family('orrery_llm_budget_tokens_limit', 'gauge', 'Tokens allowed per rolling hour.')
    .sample('orrery_llm_budget_tokens_limit', b.tokensLimit)
    .family('orrery_llm_budget_tokens_left', 'gauge', 'Tokens left in the rolling hour (reserve included).')
    .sample('orrery_llm_budget_tokens_left', Math.max(0, b.tokensLimit - b.tokensUsed))
    .family(
      'orrery_llm_budget_remaining_ratio',
      'gauge',
      'The smaller of the calls and tokens fractions left, 0..1.',
    )
    .sample('orrery_llm_budget_remaining_ratio', b.remainingFraction)
    .family('orrery_llm_budget_exhausted', 'gauge', '1 when only the critical reserve (or nothing) is left.')
    .sample('orrery_llm_budget_exhausted', b.exhausted ? 1 : 0);
  const name = 'orrery_llm_call_duration_seconds';
  out.family(name, 'histogram', 'Provider call latency, seconds.');
  for (const bucket of m.latency.buckets) {
    out.sample(`${name}_bucket`, bucket.count, {
      le: Number.isFinite(bucket.le) ? String(bucket.le / 1000) : '+Inf',
    });
  }
  out.sample(`${name}_sum`, m.latency.sumMs / 1000).sample(`${name}_count`, m.latency.count);
}
