import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { freePort } from '@orrery/testkit';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningServer, startServe } from '../src/serve/start.ts';
import { type PromFamily, parseExposition } from './support/prometheus-parse.ts';
import { executeBody, SERVE_MODELS, type ServeHarness, serveHarness } from './support/serve-harness.ts';

/** Every family `/metrics` had before prom-client, with its type: dashboards read these names. */
const ORRERY_FAMILIES = {
  orrery_http_requests_total: 'counter',
  orrery_http_rejected_total: 'counter',
  orrery_http_in_flight: 'gauge',
  orrery_http_concurrency_limit: 'gauge',
  orrery_chains_open: 'gauge',
  orrery_mode_total: 'counter',
  orrery_key_requests_total: 'counter',
  orrery_key_tokens_total: 'counter',
  orrery_key_cost_usd_total: 'counter',
  orrery_planet_analyses_total: 'counter',
  orrery_llm_requests_total: 'counter',
  orrery_llm_calls_total: 'counter',
  orrery_llm_errors_total: 'counter',
  orrery_llm_refusals_total: 'counter',
  orrery_llm_cache_hits_total: 'counter',
  orrery_llm_cache_misses_total: 'counter',
  orrery_llm_cache_hit_ratio: 'gauge',
  orrery_llm_cache_entries: 'gauge',
  orrery_llm_tokens_total: 'counter',
  orrery_llm_cost_usd_total: 'counter',
  orrery_llm_cooldowns_active: 'gauge',
  orrery_llm_cooldown_remaining_seconds: 'gauge',
  orrery_llm_budget_calls_used: 'gauge',
  orrery_llm_budget_calls_limit: 'gauge',
  orrery_llm_budget_calls_left: 'gauge',
  orrery_llm_budget_tokens_used: 'gauge',
  orrery_llm_budget_tokens_limit: 'gauge',
  orrery_llm_budget_tokens_left: 'gauge',
  orrery_llm_budget_remaining_ratio: 'gauge',
  orrery_llm_budget_exhausted: 'gauge',
  orrery_llm_call_duration_seconds: 'histogram',
} as const;

/** The process families prom-client's defaults add. */
const PROCESS_FAMILIES = {
  process_cpu_seconds_total: 'counter',
  process_resident_memory_bytes: 'gauge',
  process_start_time_seconds: 'gauge',
  nodejs_heap_size_used_bytes: 'gauge',
  nodejs_heap_size_total_bytes: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge',
  nodejs_gc_duration_seconds: 'histogram',
} as const;

const harnesses: ServeHarness[] = [];
const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const h of harnesses.splice(0)) await h.close();
});

async function listen(): Promise<{ h: ServeHarness; url: string }> {
  const h = await serveHarness();
  harnesses.push(h);
  const running = await startServe({ gateway: h.gateway, clock: h.clock, port: await freePort() });
  servers.push(running);
  return { h, url: running.url };
}

async function scrape(url: string): Promise<{ families: Map<string, PromFamily>; contentType: string }> {
  const res = await request(`${url}/metrics`);
  expect(res.statusCode).toBe(200);
  const families = parseExposition(await res.body.text());
  return {
    families: new Map(families.map((f) => [f.name, f])),
    contentType: String(res.headers['content-type']),
  };
}

const total = (f: PromFamily | undefined, labels: Record<string, string> = {}) =>
  f?.samples
    .filter((s) => s.name === f.name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);

describe('GET /metrics of a started server (prom-client)', () => {
  it('keeps every family it had, adds the process, heap, event-loop and GC families, and parses strictly', async () => {
    const { h, url } = await listen();
    h.server.script(SERVE_MODELS.execute, [{ text: 'ok' }]);
    const ok = await request(`${url}/execute`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(executeBody({ mode: 'FULL_AGENT' })),
    });
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    await (await request(`${url}/nowhere`)).body.dump();

    // A collection the GC observer (perf_hooks) must see: force one, let its entry arrive.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let scraped = await scrape(url);
    for (let i = 0; i < 100 && !(total(gcCount(scraped.families)) ?? 0); i++) {
      gc();
      await new Promise((r) => setImmediate(r));
      scraped = await scrape(url);
    }
    const { families, contentType } = scraped;
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    for (const [name, type] of Object.entries({ ...ORRERY_FAMILIES, ...PROCESS_FAMILIES })) {
      expect(families.get(name)?.type, name).toBe(type);
      expect(families.get(name)?.help, name).toMatch(/\S/);
    }
    expect(total(gcCount(families))).toBeGreaterThanOrEqual(1);
    expect(total(families.get('process_cpu_seconds_total'))).toBeGreaterThan(0);
    expect(total(families.get('process_resident_memory_bytes'))).toBeGreaterThan(0);
    // The orrery families count what happened, as before.
    expect(total(families.get('orrery_llm_calls_total'), { outcome: 'ok' })).toBe(1);
    expect(total(families.get('orrery_mode_total'), { mode: 'FULL_AGENT' })).toBe(1);
    expect(total(families.get('orrery_http_rejected_total'), { reason: 'not_found' })).toBe(1);
    expect(total(families.get('orrery_http_requests_total'), { route: '/execute', status: '200' })).toBe(1);
    const latency = families.get('orrery_llm_call_duration_seconds')?.samples ?? [];
    expect(latency.find((s) => s.name.endsWith('_count'))?.value).toBe(1);
    expect(latency.filter((s) => s.name.endsWith('_bucket')).map((s) => s.labels.le)).toEqual([
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '30',
      '60',
      '+Inf',
    ]);
  });

  it('two servers in one process count apart and both show the process', async () => {
    const a = await listen();
    const b = await listen();
    await (await request(`${a.url}/nowhere`)).body.dump();
    await (await request(`${a.url}/nowhere`)).body.dump();
    const [fa, fb] = [(await scrape(a.url)).families, (await scrape(b.url)).families];
    expect(total(fa.get('orrery_http_rejected_total'), { reason: 'not_found' })).toBe(2);
    expect(total(fb.get('orrery_http_rejected_total'), { reason: 'not_found' })).toBe(0);
    for (const f of [fa, fb]) expect(f.get('process_cpu_seconds_total')?.type).toBe('counter');
  });
});

function gcCount(families: Map<string, PromFamily>): PromFamily | undefined {
  const f = families.get('nodejs_gc_duration_seconds');
  return f && { ...f, name: `${f.name}_count` };
}

describe('the strict exposition parser the tests read /metrics with', () => {
  const good = '# HELP a_total A.\n# TYPE a_total counter\na_total{k="v \\"q\\" \\\\ \\n"} 1\n';
  it('reads a valid exposition', () => {
    expect(parseExposition(good)).toEqual([
      {
        name: 'a_total',
        help: 'A.',
        type: 'counter',
        samples: [{ name: 'a_total', labels: { k: 'v "q" \\ \n' }, value: 1 }],
      },
    ]);
  });
  it.each([
    ['no final newline', good.trimEnd()],
    ['NaN misspelled', '# TYPE g gauge\ng Nan\n'],
    ['TYPE after samples', 'g 1\n# TYPE g gauge\n'],
    ['a family split in two groups', 'a 1\nb 1\na{x="1"} 2\n'],
    ['a series twice', 'a 1\na 2\n'],
    ['a bad label escape', 'a{k="\\t"} 1\n'],
    ['a reserved label name', 'a{__k="v"} 1\n'],
    ['a label twice', 'a{k="1",k="2"} 1\n'],
    [
      'buckets not cumulative',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n',
    ],
    ['no +Inf bucket', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['+Inf bucket not the count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'],
  ])('refuses %s', (_why, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
