import { z } from 'zod';
import { preview } from '../json.ts';
import { jsonSchema } from '../registry.ts';
import { consult, type GateVerdict, type HookEnv, hookRequest } from './gate.ts';

/**
 * One field move: the value at `from` in the actual output goes to `to` in the mapped output (dot paths;
 * `''` is the whole value), optionally coerced.
 */
export const fieldMappingSchema = z
  .object({
    from: z.string().max(200),
    to: z.string().max(200),
    coerce: z.enum(['number', 'string', 'boolean']).optional(),
  })
  .strict();

/** One field move. */
export type FieldMapping = z.output<typeof fieldMappingSchema>;

/** The model's answer: the moves that turn the actual output into the expected shape. */
export const mappingAnswerSchema = z.object({
  mappings: z.array(fieldMappingSchema).max(50),
  reason: z.string().max(500).optional(),
});

/** The outcome of mapping an output. */
export type MappingOutcome =
  | {
      ok: true;
      value: unknown;
      mappings: FieldMapping[];
      source: 'llm' | 'cache' | 'fallback';
      reason?: string;
    }
  | { ok: false; source: 'llm' | 'cache' | 'fallback'; reason: string };

/**
 * Ambiguous data: an output broke its schema. Tries, in order, a mapping remembered for the same shape
 * (`remembered`, no LLM), the model's mapping (when the gate allows), then the deterministic fallback
 * {@link heuristicMapping}. Every mapped value is validated against `schema` again; a mapping that does
 * not validate is discarded.
 */
export async function mapOutput(
  env: HookEnv,
  verdict: GateVerdict,
  opts: {
    agent: string;
    schema: z.ZodType;
    actual: unknown;
    issues: readonly { path: string; message: string }[];
    remembered: FieldMapping[] | undefined;
  },
): Promise<MappingOutcome> {
  const attempt = (mappings: FieldMapping[]) => {
    const r = opts.schema.safeParse(applyMapping(opts.actual, mappings));
    return r.success ? { value: r.data as unknown } : undefined;
  };
  if (opts.remembered !== undefined) {
    const hit = attempt(opts.remembered);
    if (hit !== undefined) return { ok: true, value: hit.value, mappings: opts.remembered, source: 'cache' };
  }
  let reason: string | undefined = verdict.use === 'fallback' ? verdict.reason : undefined;
  if (verdict.use !== 'fallback') {
    const system = [
      "You map a tool's JSON output onto the schema it should have matched.",
      'Answer with one JSON object: {"mappings": [{"from": "<dot path in the actual output, \'\' for all of it>", "to": "<dot path in the expected output>", "coerce": "number"|"string"|"boolean" (optional)}], "reason": "<one sentence>"}.',
      'Map only values that are present; never invent data.',
    ].join('\n');
    const user = [
      `Agent: ${opts.agent}`,
      `Expected JSON Schema: ${preview(jsonSchema(opts.schema, 'input'), 3_000)}`,
      `Actual output: ${preview(opts.actual, 3_000)}`,
      `Validation problems: ${opts.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    ].join('\n');
    const answer = await consult(verdict, env.gateway, hookRequest(env, system, user, mappingAnswerSchema));
    if (answer.source !== 'fallback') {
      const mapped = attempt(answer.answer.mappings);
      if (mapped !== undefined) {
        return {
          ok: true,
          value: mapped.value,
          mappings: answer.answer.mappings,
          source: answer.source,
          ...(answer.answer.reason === undefined ? {} : { reason: answer.answer.reason }),
        };
      }
      reason = 'mapping_invalid';
    } else reason = answer.reason;
  }
  const heuristic = heuristicMapping(opts.actual, opts.schema);
  const mapped = attempt(heuristic);
  if (mapped !== undefined) {
    return {
      ok: true,
      value: mapped.value,
      mappings: heuristic,
      source: 'fallback',
      ...(reason === undefined ? {} : { reason }),
    };
  }
  return { ok: false, source: 'fallback', reason: reason ?? 'no_mapping' };
}

/**
 * Builds the mapped value: a copy of `actual` (when it is an object) with each move applied in order
 * (moves to `''` first, replacing the whole value).
 */
export function applyMapping(actual: unknown, mappings: readonly FieldMapping[]): unknown {
  let result: unknown = isRecord(actual) ? structuredClone(actual) : {};
  const ordered = [...mappings].sort((a, b) => Number(b.to === '') - Number(a.to === ''));
  for (const m of ordered) {
    const value = coerce(get(actual, m.from), m.coerce);
    if (m.to === '') result = isRecord(value) ? structuredClone(value) : value;
    else result = set(result, m.to.split('.'), value);
  }
  return result;
}

/**
 * The deterministic mapping (no LLM): for each field of an expected object that is missing, the actual
 * field whose name matches ignoring case, `_` and `-` (`Price`, `price_usd` does not match `price`;
 * `PRICE`, `pri-ce` do), looked up at the top level and, when the output wraps a single object
 * (`{ data: {…} }`), inside it; numeric strings are coerced when the field expects a number.
 */
export function heuristicMapping(actual: unknown, schema: z.ZodType): FieldMapping[] {
  const shape = objectShape(schema);
  if (shape === undefined || !isRecord(actual)) return [];
  const wrapped = Object.entries(actual).filter(([, v]) => isRecord(v));
  const scopes: { prefix: string; value: Record<string, unknown> }[] = [{ prefix: '', value: actual }];
  if (wrapped.length === 1) {
    const [key, inner] = wrapped[0] as [string, Record<string, unknown>];
    scopes.push({ prefix: `${key}.`, value: inner });
  }
  const mappings: FieldMapping[] = [];
  for (const [field, fieldSchema] of Object.entries(shape)) {
    if (field in actual && fieldSchema.safeParse(actual[field]).success) continue;
    for (const scope of scopes) {
      const key = Object.keys(scope.value).find((k) => normalise(k) === normalise(field));
      if (key === undefined) continue;
      const value = scope.value[key];
      const wantsNumber = fieldSchema.safeParse(0).success && !fieldSchema.safeParse('0').success;
      const numeric = typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));
      mappings.push({
        from: `${scope.prefix}${key}`,
        to: field,
        ...(wantsNumber && numeric ? { coerce: 'number' as const } : {}),
      });
      break;
    }
  }
  return mappings;
}

/** A key for "the same kind of bad output": its top-level and second-level field names with their types. */
export function shapeSignature(actual: unknown): string {
  const describeLevel = (v: unknown, depth: number): string => {
    if (Array.isArray(v)) return 'array';
    if (!isRecord(v)) return v === null ? 'null' : typeof v;
    if (depth >= 2) return 'object';
    const fields = Object.keys(v)
      .sort()
      .map((k) => `${k}:${describeLevel(v[k], depth + 1)}`);
    return `{${fields.join(',')}}`;
  };
  return describeLevel(actual, 0);
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  return schema instanceof z.ZodObject ? (schema.shape as Record<string, z.ZodType>) : undefined;
}

function normalise(key: string): string {
  return key.toLowerCase().replace(/[_\-\s]/g, '');
}

function coerce(value: unknown, to: FieldMapping['coerce']): unknown {
  if (to === undefined || value === undefined) return value;
  if (to === 'number') return typeof value === 'number' ? value : Number(value);
  if (to === 'string') return typeof value === 'string' ? value : JSON.stringify(value);
  return typeof value === 'boolean' ? value : value === 'true' || value === 1 || value === '1';
}

function get(value: unknown, path: string): unknown {
  if (path === '') return value;
  let cur = value;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

function set(target: unknown, path: readonly string[], value: unknown): unknown {
  const root: Record<string, unknown> = isRecord(target) ? target : {};
  let cur = root;
  path.forEach((seg, i) => {
    if (i === path.length - 1) cur[seg] = value;
    else {
      const next = cur[seg];
      cur[seg] = isRecord(next) ? next : {};
      cur = cur[seg] as Record<string, unknown>;
    }
  });
  return root;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
