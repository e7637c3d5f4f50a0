/**
 * A cause as `toJSON` describes it: an Orrery error's own JSON, an `Error`'s name, message (and `code`
 * when it has a string one), or the value as text.
 */
export type CauseJSON =
  | ErrorJSON
  | { name: string; message: string; code?: string; cause?: CauseJSON }
  | string;

/** What `toJSON()` of every Orrery error gives: its stable code, its message and, when it has one, its cause. */
export interface ErrorJSON<C extends string = string> {
  code: C;
  message: string;
  cause?: CauseJSON;
}

/** How deep a chain of causes is described; deeper causes (or a cycle) end as one line of text. */
const MAX_CAUSE_DEPTH = 4;
let causeDepth = 0;

/**
 * Describes a `cause` for logs, ledgers and JSON bodies: an Orrery error by its own `toJSON()`, another
 * `Error` by name, message, string `code` and its own cause, anything else as text. `undefined` stays
 * `undefined`. Causes nested deeper than {@link MAX_CAUSE_DEPTH} are reduced to `name: message`.
 */
export function serializeCause(cause: unknown): CauseJSON | undefined {
  if (cause === undefined) return undefined;
  if (causeDepth >= MAX_CAUSE_DEPTH) {
    return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  }
  causeDepth += 1;
  try {
    if (cause instanceof OrreryError) return cause.toJSON();
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      const inner = serializeCause(cause.cause);
      return {
        name: cause.name,
        message: cause.message,
        ...(typeof code === 'string' ? { code } : {}),
        ...(inner === undefined ? {} : { cause: inner }),
      };
    }
    if (typeof cause === 'object' && cause !== null) {
      try {
        return JSON.stringify(cause) ?? String(cause);
      } catch {
        return String(cause);
      }
    }
    return String(cause);
  } finally {
    causeDepth -= 1;
  }
}

/** The registered symbol that marks an instance of the class whose `brand` is `brand`. */
function brandKey(brand: string): symbol {
  return Symbol.for(brand);
}

/**
 * Base of every Orrery error: a stable `code` (each package keeps its prefix, `ORRERY_LLM_…`,
 * `ORRERY_BUS_…`), the underlying failure as `cause`, and `toJSON()` for logs, ledgers and `error`
 * envelopes.
 *
 * `instanceof` works across duplicate copies of a package (two versions installed, or one module loaded
 * twice): a class that declares its own static `brand` (a package's base, e.g. `'orrery.bus.BusError'`)
 * is matched by the registered symbol `Symbol.for(brand)`, which every instance of it and of its
 * subclasses carries. A class without its own `brand` is matched by its prototype chain, as usual.
 *
 * @example
 * class BusError extends OrreryError<BusErrorCode> {
 *   static override readonly brand: string = 'orrery.bus.BusError';
 * }
 */
export class OrreryError<C extends string = string> extends Error {
  /** The registered-symbol name every instance carries; `instanceof OrreryError` across copies reads it. */
  static readonly brand: string = 'orrery.OrreryError';

  /** The stable code callers switch on; it names the package (`ORRERY_BUS_CLOSED`). */
  readonly code: C;

  constructor(code: C, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    // Mark the instance with the brand of every branded class on its chain (non-enumerable: it stays out
    // of logs and structured clones).
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
      if (Object.hasOwn(c, 'brand')) {
        Object.defineProperty(this, brandKey((c as typeof OrreryError).brand), { value: true });
      }
    }
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Object.hasOwn(this, 'brand')) {
      return typeof value === 'object' && value !== null && brandKey(this.brand) in value;
    }
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }

  /** A plain description: code, message and the cause described by {@link serializeCause}. */
  toJSON(): ErrorJSON<C> {
    const cause = serializeCause(this.cause);
    return { code: this.code, message: this.message, ...(cause === undefined ? {} : { cause }) };
  }
}
