import { collectDefaultMetrics, Registry } from 'prom-client';

let shared: Registry | undefined;

/**
 * The process's own metrics, prom-client's defaults: `process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, open file descriptors, `nodejs_heap_size_used_bytes` and the heap
 * spaces, `nodejs_eventloop_lag_seconds` (and its percentiles), `nodejs_gc_duration_seconds` by GC kind
 * (from `perf_hooks`), active handles and requests, the Node version.
 *
 * One registry per process, created on first use: every server in the process shows the same values,
 * and the GC observer and event-loop monitor are started once, however many servers are opened.
 */
export function processMetricsRegistry(): Registry {
  if (shared === undefined) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
