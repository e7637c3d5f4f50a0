/** One sample of a Prometheus exposition. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family: its `# HELP`, `# TYPE` and samples, in the order written. */
export interface PromFamily {
  name: string;
  help: string | undefined;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// Go's ParseFloat syntax as the Prometheus text format allows it, plus NaN and ±Inf spelled as in the spec.
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * Parses the Prometheus text exposition format 0.0.4 strictly, as its specification says, throwing on
 * the first departure: text must end with a newline; `# HELP` (escapes `\\` `\n` only) and `# TYPE`
 * at most once per family, TYPE before the family's first sample; a family's lines in one group; label
 * values escaped (`\\` `\"` `\n`), label names not repeated nor reserved (`__`); values as Go floats or
 * `NaN`/`+Inf`/`-Inf`; an optional integer timestamp; no series twice; histogram buckets with `le`,
 * cumulative, ending at `+Inf` equal to `_count`, and a `_sum`; summary quantiles with `quantile`.
 */
export function parseExposition(text: string): PromFamily[] {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, PromFamily>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: PromFamily | undefined;
  const family = (name: string): PromFamily => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, help: undefined, type: 'untyped', samples: [] };
      families.set(name, f);
    }
    if (current !== f) {
      if (closed.has(name)) throw new Error(`lines of ${name} are not in one group`);
      if (current !== undefined) closed.add(current.name);
      current = f;
    }
    return f;
  };
  const lines = text.split('\n');
  lines.pop();
  for (const [i, line] of lines.entries()) {
    const where = `line ${i + 1} (${JSON.stringify(line)})`;
    if (/^[ \t]*$/.test(line)) continue;
    if (line.startsWith('#')) {
      const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
      if (m === null) continue; // any other comment
      const [, kw, name, rest = ''] = m as unknown as [string, string, string, string | undefined];
      if (!NAME.test(name)) throw new Error(`${where}: invalid metric name`);
      const f = family(name);
      if (kw === 'HELP') {
        if (f.help !== undefined) throw new Error(`${where}: second HELP for ${name}`);
        if (/\\[^\\n]|\\$/.test(rest)) throw new Error(`${where}: bad escape in HELP`);
        f.help = rest.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      } else {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
        if (f.samples.length > 0 || f.type !== 'untyped')
          throw new Error(`${where}: TYPE of ${name} after its samples or twice`);
        f.type = rest as PromFamily['type'];
      }
      continue;
    }
    const sample = parseSample(line, where);
    const owner = [...families.values()].find(
      (f) =>
        f.name === sample.name ||
        (f.type === 'histogram' &&
          [`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`].includes(sample.name)) ||
        (f.type === 'summary' && [`${f.name}_sum`, `${f.name}_count`].includes(sample.name)),
    );
    const f = family(owner?.name ?? sample.name);
    const id = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (series.has(id)) throw new Error(`${where}: series written twice`);
    series.add(id);
    f.samples.push(sample);
  }
  for (const f of families.values()) checkFamily(f);
  return [...families.values()];
}

function parseSample(line: string, where: string): PromSample {
  const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?[ \t]+(\S+)(?:[ \t]+(-?\d+))?[ \t]*$/.exec(line);
  if (m === null) throw new Error(`${where}: not a sample line`);
  const [, name, braces, raw] = m as unknown as [string, string, string | undefined, string];
  if (!VALUE.test(raw)) throw new Error(`${where}: bad value ${raw}`);
  const labels: Record<string, string> = {};
  if (braces !== undefined) {
    let body = braces.slice(1, -1);
    while (body.length > 0) {
      const lm = /^[ \t]*([a-zA-Z_][a-zA-Z0-9_]*)[ \t]*=[ \t]*"((?:[^"\\\n]|\\[\\"n])*)"[ \t]*(,|$)/.exec(
        body,
      );
      if (lm === null) throw new Error(`${where}: bad labels`);
      const [all, k, v] = lm as unknown as [string, string, string];
      if (!LABEL_NAME.test(k) || k.startsWith('__')) throw new Error(`${where}: bad label name ${k}`);
      if (k in labels) throw new Error(`${where}: label ${k} twice`);
      labels[k] = v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      body = body.slice(all.length);
    }
  }
  const value =
    raw === 'NaN'
      ? Number.NaN
      : raw.endsWith('Inf')
        ? (raw[0] === '-' ? -1 : 1) * Number.POSITIVE_INFINITY
        : Number(raw);
  return { name, labels, value };
}

function checkFamily(f: PromFamily): void {
  if (f.type !== 'histogram' && f.type !== 'summary') return;
  const groups = new Map<string, PromSample[]>();
  for (const s of f.samples) {
    const { le: _le, quantile: _q, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  for (const [key, ss] of groups) {
    const count = ss.find((s) => s.name === `${f.name}_count`);
    if (count === undefined || !ss.some((s) => s.name === `${f.name}_sum`))
      throw new Error(`${f.name}${key}: no _sum or _count`);
    if (f.type === 'summary') {
      if (ss.some((s) => s.name === f.name && s.labels.quantile === undefined))
        throw new Error(`${f.name}: a quantile sample without quantile`);
      continue;
    }
    const buckets = ss.filter((s) => s.name === `${f.name}_bucket`);
    if (buckets.some((b) => b.labels.le === undefined)) throw new Error(`${f.name}: bucket without le`);
    const les = buckets.map((b) => (b.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(b.labels.le)));
    if (les.some((le, i) => Number.isNaN(le) || (i > 0 && le <= (les[i - 1] as number))))
      throw new Error(`${f.name}${key}: le not increasing`);
    if (buckets.some((b, i) => i > 0 && b.value < (buckets[i - 1] as PromSample).value))
      throw new Error(`${f.name}${key}: buckets not cumulative`);
    const inf = buckets.at(-1);
    if (inf?.labels.le !== '+Inf' || inf.value !== count.value)
      throw new Error(`${f.name}${key}: no +Inf bucket equal to _count`);
  }
}

/** The samples of a strictly parsed exposition ({@link parseExposition}); throws where it does. */
export function parsePrometheus(text: string): PromSample[] {
  return parseExposition(text).flatMap((f) => f.samples);
}
