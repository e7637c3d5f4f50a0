import v8 from 'node:v8';
import { z } from 'zod';

/**
 * Whether this Node runs regular expressions in linear time on request (V8's non-backtracking engine,
 * the `l` flag). Enabled once, here; without it every client pattern is refused.
 */
export const LINEAR_REGEX: boolean = (() => {
  try {
    v8.setFlagsFromString('--enable-experimental-regexp-engine');
    const flag = 'l';
    return new RegExp('(a+)+$', flag).flags.includes(flag);
  } catch {
    return false;
  }
})();

const NativeRegExp = globalThis.RegExp;

/** `new RegExp(p, f)` in linear time when the engine can run `p` so, the native one otherwise. */
function LinearRegExp(pattern: string | RegExp, flags?: string): RegExp {
  try {
    return new NativeRegExp(pattern, `${flags ?? ''}l`);
  } catch {
    return new NativeRegExp(pattern, flags);
  }
}
LinearRegExp.prototype = NativeRegExp.prototype;

/** Runs `fn` (synchronous) with every `new RegExp` linear-time where possible. */
function withLinearRegExp<T>(fn: () => T): T {
  if (!LINEAR_REGEX) return fn();
  (globalThis as { RegExp: unknown }).RegExp = LinearRegExp;
  try {
    return fn();
  } finally {
    globalThis.RegExp = NativeRegExp;
  }
}

/** Keys whose values are data, not schemas: their `pattern` strings are not patterns. */
const DATA_KEYS = new Set(['enum', 'const', 'default', 'examples']);

/**
 * Every regular expression a JSON Schema holds (`pattern` values, `patternProperties` keys), with the
 * dotted path naming it.
 */
function patternsOf(schema: unknown, path: string, out: { path: string; pattern: string }[]): void {
  if (Array.isArray(schema)) {
    for (const [i, v] of schema.entries()) patternsOf(v, `${path}[${i}]`, out);
    return;
  }
  if (typeof schema !== 'object' || schema === null) return;
  for (const [k, v] of Object.entries(schema)) {
    if (DATA_KEYS.has(k)) continue;
    const at = `${path}.${k}`;
    if (k === 'pattern' && typeof v === 'string') out.push({ path: at, pattern: v });
    if (k === 'patternProperties' && typeof v === 'object' && v !== null && !Array.isArray(v)) {
      for (const key of Object.keys(v)) out.push({ path: `${at}[${JSON.stringify(key)}]`, pattern: key });
    }
    patternsOf(v, at, out);
  }
}

/** Why a pattern cannot be run safely, or `undefined` when it runs in linear time. */
function unsafePattern(pattern: string): string | undefined {
  if (!LINEAR_REGEX) return 'patterns are refused: this Node has no linear-time regex engine';
  try {
    new NativeRegExp(pattern, 'l');
    return undefined;
  } catch (err) {
    const msg = (err as Error).message;
    if (/linear time/i.test(msg)) {
      return `${JSON.stringify(pattern)} cannot be run in linear time (backreferences and lookarounds are refused, so no pattern can block the server)`;
    }
    return `${JSON.stringify(pattern)} is not a valid regular expression`;
  }
}

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
  /** The offending key (`answerSchema.properties.code.pattern`), when one is to blame. */
  path?: string | undefined;
}

/**
 * Turns the JSON Schemas that HTTP clients send as `answerSchema` into zod validators for the gateway,
 * with zod 4's `z.fromJSONSchema` (drafts 2020-12, 7 and 4; local `$ref`s only; no `if/then/else`,
 * `not`, `unevaluated*` or `dependent*`). Converted schemas are kept (at most `capacity`, least recently
 * used dropped), keyed by their JSON text, so a client repeating its schema pays the conversion once and the
 * gateway's cache recognises the schema as the same.
 *
 * Patterns (`pattern`, `patternProperties`) run on V8's linear-time engine, so no pattern and no answer
 * can block the event loop (`^(a+)+$` on any answer takes microseconds per character); a pattern that
 * engine cannot run (backreferences, lookarounds) is refused with its key's path.
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
  get(jsonSchema: unknown, at = 'answerSchema'): { ok: true; schema: z.ZodType } | AnswerSchemaProblem {
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
    const patterns: { path: string; pattern: string }[] = [];
    patternsOf(jsonSchema, at, patterns);
    for (const p of patterns) {
      const why = unsafePattern(p.pattern);
      if (why !== undefined) return { ok: false, message: why, path: p.path };
    }
    let inner: z.ZodType;
    try {
      inner = withLinearRegExp(() => z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]));
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
