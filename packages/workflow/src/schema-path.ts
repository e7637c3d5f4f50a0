import type { z } from 'zod';

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  element?: z.ZodType;
  innerType?: z.ZodType;
  out?: z.ZodType;
  valueType?: z.ZodType;
  items?: z.ZodType[];
  rest?: z.ZodType | null;
  getter?: () => z.ZodType;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/**
 * Walks `path` through an output schema. `'ok'` when the path exists (or the schema cannot tell: unions,
 * `any`, transforms…), otherwise the index of the first segment the schema does not have.
 */
export function checkSchemaPath(schema: z.ZodType, path: readonly string[]): 'ok' | { missingAt: number } {
  let current: z.ZodType | undefined = schema;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i] as string;
    current = unwrap(current);
    if (current === undefined) return 'ok';
    const def = current._zod.def as unknown as Def;
    switch (def.type) {
      case 'object': {
        const next: z.ZodType | undefined = def.shape?.[segment];
        if (next !== undefined) current = next;
        else if (def.catchall !== undefined && (def.catchall._zod.def as unknown as Def).type !== 'never') {
          current = def.catchall;
        } else return { missingAt: i };
        break;
      }
      case 'array':
        if (!/^\d+$/.test(segment)) return { missingAt: i };
        current = def.element;
        break;
      case 'tuple': {
        if (!/^\d+$/.test(segment)) return { missingAt: i };
        const item: z.ZodType | undefined = def.items?.[Number(segment)] ?? def.rest ?? undefined;
        if (item === undefined) return { missingAt: i };
        current = item;
        break;
      }
      case 'record':
        current = def.valueType;
        break;
      case 'string':
      case 'number':
      case 'boolean':
      case 'bigint':
      case 'null':
      case 'undefined':
      case 'literal':
      case 'enum':
      case 'date':
        return { missingAt: i };
      default:
        return 'ok';
    }
  }
  return 'ok';
}

/** The schema under optional/nullable/default/readonly/catch wrappers, lazies and pipes' output side. */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let s = schema;
  for (let guard = 0; s !== undefined && guard < 32; guard++) {
    const def = s._zod.def as unknown as Def;
    if (WRAPPERS.has(def.type)) s = def.innerType;
    else if (def.type === 'lazy') s = def.getter?.();
    else if (def.type === 'pipe') s = def.out;
    else return s;
  }
  return s;
}

/** The value at `path` inside `value` (`undefined` when absent). */
export function valueAtPath(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
