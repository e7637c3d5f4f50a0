import { z } from 'zod';

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
    let schema: z.ZodType;
    try {
      schema = z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (err) {
      const reason = err instanceof RangeError ? 'nested too deeply' : (err as Error).message;
      return { ok: false, message: `is not a supported JSON Schema (${reason})` };
    }
    this.#cache.set(key, schema);
    if (this.#cache.size > this.#capacity) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return { ok: true, schema };
  }
}
