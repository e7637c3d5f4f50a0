/** One sample of a Prometheus exposition. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)$/;

/** Parses Prometheus text; throws on any non-comment line that is not `name{labels} value`. */
export function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const l of text.split('\n')) {
    if (l === '' || l.startsWith('# HELP ') || l.startsWith('# TYPE ')) continue;
    const m = SAMPLE.exec(l);
    if (m === null) throw new Error(`not a Prometheus sample line: ${l}`);
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[lm[1] as string] = lm[2] as string;
    }
    const raw = m[3] as string;
    out.push({
      name: m[1] as string,
      labels,
      value: raw === '+Inf' ? Number.POSITIVE_INFINITY : Number(raw),
    });
  }
  return out;
}
