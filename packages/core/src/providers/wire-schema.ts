import { z } from 'zod';
import type { WireSchema } from './provider.ts';

const memo = new WeakMap<object, WireSchema | null>();

/**
 * The answer schema as OpenAI structured outputs want it (`json_schema: {name, schema, strict}`), from a
 * zod schema: its JSON Schema (`z.toJSONSchema`), named after the task, `strict` only when the schema
 * meets strict mode's rules (every object closed and every property required). `undefined` when the
 * schema has no JSON Schema form (e.g. transforms) — the provider then falls back to JSON mode.
 * Memoised per schema object.
 */
export function wireSchemaOf(schema: z.ZodType | undefined, task: string): WireSchema | undefined {
  if (schema === undefined) return undefined;
  let known = memo.get(schema);
  if (known === undefined) {
    try {
      const json = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'throw' }) as Record<
        string,
        unknown
      >;
      delete json.$schema;
      const name = task.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64) || 'answer';
      known = { name, schema: json, strict: strictOk(json) };
    } catch {
      known = null;
    }
    memo.set(schema, known);
  }
  return known ?? undefined;
}

/** Whether a JSON Schema satisfies OpenAI's strict mode: objects closed, every property required. */
function strictOk(node: unknown): boolean {
  if (Array.isArray(node)) return node.every(strictOk);
  if (typeof node !== 'object' || node === null) return true;
  const n = node as Record<string, unknown>;
  if (n.type === 'object' || n.properties !== undefined) {
    if (n.additionalProperties !== false) return false;
    const props = Object.keys((n.properties as Record<string, unknown> | undefined) ?? {});
    const required = new Set(Array.isArray(n.required) ? (n.required as string[]) : []);
    if (!props.every((p) => required.has(p))) return false;
  }
  return Object.values(n).every(strictOk);
}
