import { z } from 'zod';

const PROBES: readonly unknown[] = [null, true, 0, 'x', [], {}, [0], { a: 0 }];

/**
 * `inner` behind a guard: a failure inside it (a stack overflow on a deep or cyclic answer) becomes an
 * issue, so the gateway reports a format error instead of crashing. The client's schema text is kept as
 * metadata so the gateway's cache tells different schemas apart.
 */
function guarded(inner: z.ZodType, text: string): z.ZodType {
  return z
    .unknown()
    .transform((value, ctx) => {
      let r: ReturnType<typeof inner.safeParse>;
      try {
        r = inner.safeParse(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'the answer schema could not be applied to this answer' });
        return z.NEVER;
      }
      if (r.success) return r.data;
      for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path });
      return z.NEVER;
    })
    .meta({ 'x-orrery-answer-schema': text });
}

/** Why a JSON Schema could not become an answer validator. */
export interface AnswerSchemaProblem {
  ok: false;
  message: string;
}

/**
 * Turns the JSON Schemas that HTTP clients send as `answerSchema` into zod validators for the gateway,
 * with zod 4's `z.fromJSONSchema` (drafts 2020-12, 7 and 4; local `$ref`s only; no `if/then/else`,
 * `not`, `unevaluated*` or `dependent*`). Converted schemas are kept (at most `capacity`, least recently
 * used dropped), keyed by their JSON text, so a client repeating its schema pays the conversion once and the
 * gateway's cache recognises the schema as the same.
 */
export class AnswerSchemas {
  readonly #capacity: number;
  readonly #cache = new Map<string, z.ZodType>();

  /** @param capacity converted schemas kept (default 256). */
  constructor(capacity = 256) {
    this.#capacity = capacity;
  }

  /**
   * The validator for `jsonSchema`, or why there is none (unsupported keyword, bad `$ref`, not a schema).
   * Never throws.
   */
  get(jsonSchema: unknown): { ok: true; schema: z.ZodType } | AnswerSchemaProblem {
    let key: string;
    try {
      key = JSON.stringify(jsonSchema);
    } catch {
      return { ok: false, message: 'is not JSON' };
    }
    const hit = this.#cache.get(key);
    if (hit !== undefined) {
      this.#cache.delete(key);
      this.#cache.set(key, hit);
      return { ok: true, schema: hit };
    }
    if (typeof jsonSchema !== 'boolean' && (typeof jsonSchema !== 'object' || jsonSchema === null)) {
      return { ok: false, message: 'must be a JSON Schema (an object or a boolean)' };
    }
    let inner: z.ZodType;
    try {
      inner = z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (err) {
      const reason = err instanceof RangeError ? 'nested too deeply' : (err as Error).message;
      return { ok: false, message: `is not a supported JSON Schema (${reason})` };
    }
    // A schema referring to itself without end (`{"$ref": "#"}`) overflows the stack on any value: refuse
    // it now, before a provider call is paid for.
    for (const probe of PROBES) {
      try {
        inner.safeParse(probe);
      } catch {
        return { ok: false, message: 'is not a usable JSON Schema (it refers to itself without end)' };
      }
    }
    const schema = guarded(inner, key);
    this.#cache.set(key, schema);
    if (this.#cache.size > this.#capacity) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return { ok: true, schema };
  }
}
