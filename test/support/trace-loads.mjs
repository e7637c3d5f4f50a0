// Test support: `node --import ./trace-loads.mjs …` appends the URL of every module the process loads
// to the file named by ORRERY_TRACE_LOADS, one per line (a module-resolution hook; Node ≥ 20.6).
import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';

let out;

/** Hook initialisation: receives the trace file's path. */
export function initialize(data) {
  out = data.file;
}

/** Resolves as Node would, and records the result. */
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (out) appendFileSync(out, `${resolved.url}\n`);
  return resolved;
}

if (isMainThread && process.env.ORRERY_TRACE_LOADS) {
  register(import.meta.url, { data: { file: process.env.ORRERY_TRACE_LOADS } });
}
