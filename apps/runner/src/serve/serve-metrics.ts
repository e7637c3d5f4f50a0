import { EXECUTION_MODES, type GatewayMetrics } from '@orrery/core';
import { Counter, Gauge, Registry } from 'prom-client';
import { GatewayMetricsExporter } from './gateway-metrics.ts';
import { MemoryHealthExporter, type RunMemoryHealth } from './memory-metrics.ts';
import { processMetricsRegistry } from './process-metrics.ts';

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

/** The content type of `/metrics`: the Prometheus text exposition format 0.0.4. */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/** What a scrape reads at that moment. */
export interface ScrapeState {
  /** The gateway's counters now. */
  gateway: GatewayMetrics;
  /** The gateway's clock, ms (cooldown ends are on it). */
  now: number;
  /** Requests holding a concurrency slot. */
  inFlight: number;
  /** Concurrency slots in total. */
  concurrencyLimit: number;
  /** Budget chains opened over HTTP and not closed. */
  openChains: number;
  /** Episodic memory of the runs in `run.ledgerPath` (running ones and the newest); absent: none shown. */
  memory?: readonly RunMemoryHealth[] | undefined;
}

/**
 * One server's metrics (prom-client counters in a registry of its own, so two servers in one process
 * count apart), plus the gateway's and the process's at each scrape ({@link ServeCounters.exposition}).
 */
export class ServeCounters {
  readonly #registry = new Registry();
  readonly #http: Counter<'route' | 'status'>;
  readonly #rejected: Counter<'reason'>;
  readonly #modes: Counter<'mode'>;
  readonly #keyRequests: Counter<'key' | 'model' | 'outcome'>;
  readonly #keyTokens: Counter<'key' | 'model' | 'direction'>;
  readonly #keyCost: Counter<'key' | 'model'>;
  readonly #planets: Counter<'planet' | 'source'>;
  readonly #inFlight: Gauge;
  readonly #limit: Gauge;
  readonly #chains: Gauge;
  readonly #gateway: GatewayMetricsExporter;
  readonly #memory: MemoryHealthExporter;

  constructor() {
    const registers = [this.#registry];
    this.#http = new Counter({
      name: 'orrery_http_requests_total',
      help: 'HTTP requests answered, by route template and status.',
      labelNames: ['route', 'status'],
      registers,
    });
    this.#rejected = new Counter({
      name: 'orrery_http_rejected_total',
      help: 'Requests turned away before their work, by reason.',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of REJECTIONS) this.#rejected.inc({ reason }, 0);
    this.#inFlight = new Gauge({
      name: 'orrery_http_in_flight',
      help: 'Requests holding a concurrency slot now.',
      registers,
    });
    this.#limit = new Gauge({
      name: 'orrery_http_concurrency_limit',
      help: 'Concurrency slots in total.',
      registers,
    });
    this.#chains = new Gauge({
      name: 'orrery_chains_open',
      help: 'Budget chains opened over HTTP and not closed.',
      registers,
    });
    this.#modes = new Counter({
      name: 'orrery_mode_total',
      help: 'Work served by execution mode (execute requests by their declared mode, planet analyses by theirs).',
      labelNames: ['mode'],
      registers,
    });
    for (const mode of [...EXECUTION_MODES, 'unspecified']) this.#modes.inc({ mode }, 0);
    this.#keyRequests = new Counter({
      name: 'orrery_key_requests_total',
      help: 'Calls of the OpenAI/Anthropic-compatible routes, by virtual key name, model and outcome.',
      labelNames: ['key', 'model', 'outcome'],
      registers,
    });
    this.#keyTokens = new Counter({
      name: 'orrery_key_tokens_total',
      help: 'Tokens of those calls, by key name, model and direction.',
      labelNames: ['key', 'model', 'direction'],
      registers,
    });
    this.#keyCost = new Counter({
      name: 'orrery_key_cost_usd_total',
      help: 'Estimated spend of those calls, USD, by key name and model.',
      labelNames: ['key', 'model'],
      registers,
    });
    this.#planets = new Counter({
      name: 'orrery_planet_analyses_total',
      help: 'Planet analyses, by planet and signal source.',
      labelNames: ['planet', 'source'],
      registers,
    });
    this.#gateway = new GatewayMetricsExporter(this.#registry);
    this.#memory = new MemoryHealthExporter(this.#registry);
    // Started with the server, not at the first scrape: GC pauses and event-loop lag count from here.
    processMetricsRegistry();
  }

  /** Counts one answered request by route template (`/planets/:name/analyze`) and status. */
  http(route: string, status: number): void {
    this.#http.inc({ route, status: String(status) });
  }

  /** Counts one unit of work in a mode (`unspecified` when an execute request named none). */
  mode(mode: string): void {
    this.#modes.inc({ mode });
  }

  /** Counts one planet analysis by planet and where its signal came from. */
  planet(planet: string, source: string): void {
    this.#planets.inc({ planet, source });
  }

  /**
   * Counts one call of a compatible route (`/v1/*`) by virtual key name (`anonymous` without one), the
   * model that served it (`provider/model`, or the alias asked for when nothing did) and its outcome
   * (`ok`, `cache_hit`, `error`, `refused`), with its tokens and cost (USD).
   */
  keyCall(
    key: string,
    model: string,
    outcome: string,
    tokensIn: number,
    tokensOut: number,
    usd: number,
  ): void {
    this.#keyRequests.inc({ key, model, outcome });
    this.#keyTokens.inc({ key, model, direction: 'in' }, tokensIn);
    this.#keyTokens.inc({ key, model, direction: 'out' }, tokensOut);
    this.#keyCost.inc({ key, model }, usd);
  }

  /** Counts one rejection. */
  rejected(why: Rejection): void {
    this.#rejected.inc({ reason: why });
  }

  /**
   * The Prometheus text of a scrape: this server's families, the gateway's (`orrery_llm_*`, set from
   * `state.gateway`) and the process's ({@link processMetricsRegistry}), each family once.
   */
  async exposition(state: ScrapeState): Promise<string> {
    this.#inFlight.set(state.inFlight);
    this.#limit.set(state.concurrencyLimit);
    this.#chains.set(state.openChains);
    this.#gateway.update(state.gateway, state.now);
    this.#memory.update(state.memory ?? []);
    const text = await Registry.merge([this.#registry, processMetricsRegistry()]).metrics();
    // prom-client writes a NaN value (the event-loop lag before its first sample) as `Nan`; the text
    // format's spelling is `NaN` (Prometheus reads either; stricter parsers only the latter).
    return text.replace(/ Nan$/gm, ' NaN');
  }
}
