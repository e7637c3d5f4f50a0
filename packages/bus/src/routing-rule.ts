import { z } from 'zod';
import { jsonSchema } from './messages/envelope.ts';

/** Where a router sends a query: down the left subtree, the right one, or both. */
export type Direction = 'left' | 'right' | 'both';

/** Schema of a {@link Direction}. */
export const directionSchema = z.enum(['left', 'right', 'both']);

/**
 * A test on one field of the query (`field` is a dot path, e.g. `features.volatility`):
 * `equals` a JSON value, is `oneOf` several, `matches` a regular expression (case-insensitive unless
 * `flags` says otherwise), `includes` an element (arrays) or a substring (strings), `exists`, or lies
 * `above`/`below` a number. `all`, `any` and `not` combine tests.
 */
export type RouteCondition =
  | { field: string; equals: z.infer<typeof jsonSchema> }
  | { field: string; oneOf: z.infer<typeof jsonSchema>[] }
  | { field: string; matches: string; flags?: string | undefined }
  | { field: string; includes: z.infer<typeof jsonSchema> }
  | { field: string; exists: boolean }
  | { field: string; above?: number | undefined; below?: number | undefined }
  | { all: RouteCondition[] }
  | { any: RouteCondition[] }
  | { not: RouteCondition };

/** A declarative router: the first rule whose condition holds decides; `otherwise` when none does. */
export interface RouteRule {
  rules: { when: RouteCondition; go: Direction }[];
  otherwise: Direction;
}

const field = z
  .string()
  .min(1)
  .max(256)
  .describe(
    'Dot path of the tested field in the query, e.g. `features.volatility` (at most 256 characters).',
  );
const finite = z.number().finite();

const conditionSchema: z.ZodType<RouteCondition> = z.lazy(() =>
  z.union([
    z.strictObject({ field, equals: jsonSchema.describe('Holds when the field equals this JSON value.') }),
    z.strictObject({
      field,
      oneOf: z.array(jsonSchema).min(1).describe('Holds when the field equals one of these JSON values.'),
    }),
    z
      .strictObject({
        field,
        matches: z
          .string()
          .min(1)
          .max(1000)
          .describe('Holds when the field (a string) matches this regular expression.'),
        flags: z
          .string()
          .regex(/^[imsu]*$/)
          .optional()
          .describe('Flags of `matches`, of `imsu`. Default `i` (case-insensitive).'),
      })
      .refine((c) => compiles(c.matches, c.flags ?? 'i'), {
        message: 'matches is not a valid regular expression',
      }),
    z.strictObject({
      field,
      includes: jsonSchema.describe(
        'Holds when the field (an array) has this element, or (a string) this substring.',
      ),
    }),
    z.strictObject({
      field,
      exists: z.boolean().describe('true: holds when the field is present; false: when it is absent.'),
    }),
    z
      .strictObject({
        field,
        above: finite
          .optional()
          .describe('Holds when the field (a number) is above this. Default: no lower line.'),
        below: finite
          .optional()
          .describe('Holds when the field (a number) is below this. Default: no upper line.'),
      })
      .refine((c) => c.above !== undefined || c.below !== undefined, { message: 'give above and/or below' }),
    z.strictObject({
      all: z.array(conditionSchema).min(1).describe('Holds when every one of these tests holds.'),
    }),
    z.strictObject({
      any: z.array(conditionSchema).min(1).describe('Holds when at least one of these tests holds.'),
    }),
    // No `.describe()` on the lazy schema inside its own getter: each clone is a new lazy, and the JSON
    // Schema of it would recurse forever. The test's description is registered on it once, below.
    z.strictObject({ not: conditionSchema }),
  ]),
);

conditionSchema.register(z.globalRegistry, {
  description:
    'A test on one field of the query (`field` is a dot path): `equals`, `oneOf`, `matches`, `includes`, `exists`, `above`/`below`; `all`, `any` and `not` combine tests.',
});

/** Schema of a {@link RouteRule}. */
export const routeRuleSchema = z
  .strictObject({
    rules: z
      .array(
        z.strictObject({
          when: conditionSchema,
          go: directionSchema.describe('Where the query goes when it holds: `left`, `right` or `both`.'),
        }),
      )
      .describe('Rules in order: the first whose test holds decides.'),
    otherwise: directionSchema.describe(
      'Where the query goes when no rule holds: `left`, `right` or `both`.',
    ),
  })
  .describe('A declarative router: the first rule whose test holds decides; `otherwise` when none does.');

function compiles(source: string, flags: string): boolean {
  try {
    new RegExp(source, flags);
    return true;
  } catch {
    return false;
  }
}

function get(query: unknown, path: string): unknown {
  let value = query;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

const regexCache = new Map<string, RegExp>();

function regex(source: string, flags: string): RegExp {
  const key = `${flags}/${source}`;
  let re = regexCache.get(key);
  if (re === undefined) {
    re = new RegExp(source, flags);
    regexCache.set(key, re);
  }
  return re;
}

/** True when `condition` holds for `query`. The condition must have passed {@link routeRuleSchema}. */
export function holds(condition: RouteCondition, query: unknown): boolean {
  if ('all' in condition) return condition.all.every((c) => holds(c, query));
  if ('any' in condition) return condition.any.some((c) => holds(c, query));
  if ('not' in condition) return !holds(condition.not, query);
  const value = get(query, condition.field);
  if ('equals' in condition) return same(value, condition.equals);
  if ('oneOf' in condition) return condition.oneOf.some((v) => same(value, v));
  if ('matches' in condition) {
    return typeof value === 'string' && regex(condition.matches, condition.flags ?? 'i').test(value);
  }
  if ('includes' in condition) {
    if (Array.isArray(value)) return value.some((v) => same(v, condition.includes));
    return (
      typeof value === 'string' &&
      typeof condition.includes === 'string' &&
      value.includes(condition.includes)
    );
  }
  if ('exists' in condition) return (value !== undefined) === condition.exists;
  if (typeof value !== 'number' || !Number.isFinite(value)) return false;
  return (
    (condition.above === undefined || value > condition.above) &&
    (condition.below === undefined || value < condition.below)
  );
}

/** Applies a rule: the first matching rule's direction, else `otherwise`. */
export function applyRule(rule: RouteRule, query: unknown): Direction {
  for (const r of rule.rules) if (holds(r.when, query)) return r.go;
  return rule.otherwise;
}
