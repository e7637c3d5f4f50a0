import { z } from 'zod';
import { InvalidPlanetSpecError } from './errors.ts';
import type { LLMCaller } from './llm-caller.ts';
import { CORE_MOONS, EMPTY_CORE_READINGS } from './moons/snapshot.ts';
import { definePlanet } from './planets/define-planet.ts';
import { clamp, fmt, type Planet, type PlanetAssessment, type PlanetInput } from './planets/planet.ts';

const fieldDescription = z
  .string()
  .max(300)
  .optional()
  .describe(
    'What the field means, shown to the model in the answer schema (at most 300 characters). Default: none.',
  );

const fieldSchema = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.enum(['number', 'integer']).describe('A number, or an integer.'),
      minimum: z
        .number()
        .optional()
        .describe('Smallest value allowed (`signal` is always ≥ −1, `confidence` ≥ 0). Default: none.'),
      maximum: z
        .number()
        .optional()
        .describe('Largest value allowed (`signal` and `confidence` are always ≤ 1). Default: none.'),
      description: fieldDescription,
    }),
    z.strictObject({
      type: z.literal('string').describe('The field is a string.'),
      enum: z
        .array(z.string().min(1))
        .min(1)
        .optional()
        .describe('The only values allowed. Default: any string.'),
      maxLength: z
        .int()
        .min(1)
        .max(4000)
        .optional()
        .describe('Longest string allowed, characters (1..4000). Default 2000.'),
      description: fieldDescription,
    }),
    z.strictObject({
      type: z.literal('boolean').describe('The field is true or false.'),
      description: fieldDescription,
    }),
    z.strictObject({
      type: z.literal('array').describe('The field is a list.'),
      items: z
        .strictObject({
          type: z
            .enum(['string', 'number'])
            .describe('Type of every item (strings at most 1000 characters).'),
        })
        .describe('What the items of the list are.'),
      maxItems: z.int().min(1).max(50).optional().describe('Most items allowed (1..50). Default 20.'),
      description: fieldDescription,
    }),
  ])
  .describe('One field of the answer: its JSON type and limits.');

const ruleSchema = z
  .strictObject({
    when: z
      .strictObject({
        moon: z
          .string()
          .min(1)
          .describe("The moon whose reading is tested (one of the spec's `moons`), e.g. `rsi`."),
        field: z.string().min(1).describe('The numeric field of that reading, e.g. `rsi`.'),
        op: z.enum(['<', '<=', '>', '>=']).describe('Comparison of the reading with `value`.'),
        value: z.number().describe('The number it is compared with.'),
      })
      .describe('The test: `moon.field op value` (a reading not reported yet never matches).'),
    signal: z.number().min(-1).max(1).describe('The forecast when the rule matches, −1..1.'),
    confidence: z.number().min(0).max(1).describe('Its confidence, 0..1.'),
    reason: z
      .string()
      .max(300)
      .optional()
      .describe(
        'The reason reported (at most 300 characters). Default: the test with the value read, e.g. `rsi.rsi 28 < 30`.',
      ),
  })
  .describe('One deterministic rule (the first that matches decides).');

/**
 * A planet described as data. `prompt` may use `{{moon.field}}` (a reading, e.g. `{{rsi.rsi}}`),
 * `{{symbol}}`, `{{close}}`, `{{time}}` and `{{news}}`. `answer` is a JSON-schema-like object whose
 * properties must include `signal` (number in [−1, 1]) and `confidence` (number in [0, 1]); `reasons`
 * (array of strings) is used when present. `rules` are the deterministic analysis (first match wins;
 * none: neutral with zero confidence, i.e. the planet abstains without its LLM).
 */
export const planetSpecSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,47}$/, 'lower-case letters, digits, _ or -, starting with a letter')
      .describe(
        "The planet's name (1-48 lower-case letters, digits, _ or -, starting with a letter; not a built-in's). Required.",
      ),
    role: z
      .string()
      .min(1)
      .max(300)
      .default('specialist analyst')
      .describe('Who the model is told it is ("You are the ROLE of Orrery…"). Default `specialist analyst`.'),
    moons: z
      .array(z.string().min(1))
      .min(1)
      .describe(
        'The moons whose readings the prompt and rules read (built-in moon names, e.g. `rsi`, `macd`). Required, at least one.',
      ),
    prompt: z
      .string()
      .min(1)
      .max(8000)
      .describe(
        'The prompt template (at most 8000 characters): `{{moon.field}}` (a reading, e.g. `{{rsi.rsi}}`), `{{symbol}}`, `{{close}}`, `{{time}}` and `{{news}}` are filled in. Required.',
      ),
    answer: z
      .strictObject({
        type: z.literal('object').describe('Always `object`.'),
        properties: z
          .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), fieldSchema)
          .describe(
            "The answer's fields by name: must include `signal` (number, −1..1) and `confidence` (number, 0..1); `reasons` (array of strings) is used when present.",
          ),
        required: z
          .array(z.string())
          .default([])
          .describe(
            'Fields the answer must have besides `signal` and `confidence` (always required). Default: none.',
          ),
      })
      .describe('The JSON-schema-like description of the answer the model must give.'),
    weight: z.number().min(0).max(10).default(1).describe("The planet's vote weight, 0..10. Default 1."),
    task: z
      .string()
      .min(1)
      .default('planet_analysis')
      .describe('The gateway task of its LLM call (its routing rule). Default `planet_analysis`.'),
    rules: z
      .array(ruleSchema)
      .max(32)
      .default([])
      .describe(
        'The deterministic analysis, first match wins (at most 32); none matching: neutral with zero confidence (the planet abstains without its LLM). Default: none.',
      ),
  })
  .superRefine((spec, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const props = spec.answer.properties;
    for (const [key, lo, hi] of [
      ['signal', -1, 1],
      ['confidence', 0, 1],
    ] as const) {
      const f = props[key];
      if (f === undefined || f.type !== 'number') {
        issue(
          ['answer', 'properties', key],
          `the answer must have a number property '${key}' in [${lo}, ${hi}]`,
        );
      } else if ((f.minimum !== undefined && f.minimum < lo) || (f.maximum !== undefined && f.maximum > hi)) {
        issue(['answer', 'properties', key], `'${key}' must stay within [${lo}, ${hi}]`);
      }
    }
    spec.answer.required.forEach((r, i) => {
      if (!(r in props)) issue(['answer', 'required', i], `'${r}' is required but not a property`);
    });
    const reasons = props.reasons;
    if (reasons !== undefined && (reasons.type !== 'array' || reasons.items.type !== 'string')) {
      issue(['answer', 'properties', 'reasons'], "'reasons' must be an array of strings");
    }
    for (const m of spec.prompt.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
      const ref = m[1] ?? '';
      if (['symbol', 'close', 'time', 'news'].includes(ref)) continue;
      const [moon, field, extra] = ref.split('.');
      if (moon === undefined || field === undefined || extra !== undefined || field === '') {
        issue(
          ['prompt'],
          `placeholder {{${ref}}} is not {{moon.field}}, {{symbol}}, {{close}}, {{time}} or {{news}}`,
        );
      } else if (!spec.moons.includes(moon)) {
        issue(['prompt'], `placeholder {{${ref}}} reads moon '${moon}', which is not in moons`);
      }
    }
    spec.rules.forEach((r, i) => {
      if (!spec.moons.includes(r.when.moon)) {
        issue(['rules', i, 'when', 'moon'], `rule reads moon '${r.when.moon}', which is not in moons`);
      }
    });
  });

/** A spec as written (defaults optional). */
export type PlanetSpecInput = z.input<typeof planetSpecSchema>;
/** A validated spec. */
export type PlanetSpec = z.output<typeof planetSpecSchema>;

/**
 * What a structurally valid spec gets wrong about the moons that run: moons not in `knownMoons`, and
 * fields (in rules and prompt placeholders) that a built-in moon does not report (e.g. `rsi.rsii`).
 * Fields of other moons cannot be known before they report; a rule on one that is missing, or holds
 * something other than a number, fails the planet's analysis at run time (and supervision sees it).
 */
export function specMoonIssues(
  spec: PlanetSpec,
  knownMoons: readonly string[] = CORE_MOONS,
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  spec.moons.forEach((m, i) => {
    if (!knownMoons.includes(m))
      issues.push({ path: ['moons', i], message: `unknown moon '${m}' (known: ${knownMoons.join(', ')})` });
  });
  const core = EMPTY_CORE_READINGS as unknown as Record<string, Record<string, unknown>>;
  const unknownField = (moon: string, field: string) =>
    moon in core && !(field in core[moon]!)
      ? `moon '${moon}' has no field '${field}' (fields: ${Object.keys(core[moon]!).join(', ')})`
      : undefined;
  spec.rules.forEach((r, i) => {
    const problem = unknownField(r.when.moon, r.when.field);
    if (problem !== undefined) issues.push({ path: ['rules', i, 'when', 'field'], message: problem });
  });
  for (const m of spec.prompt.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)) {
    const [moon = '', field] = (m[1] ?? '').split('.');
    const problem = field === undefined ? undefined : unknownField(moon, field);
    if (problem !== undefined) issues.push({ path: ['prompt'], message: `{{${m[1]}}}: ${problem}` });
  }
  return issues;
}

/**
 * Validates a spec; `knownMoons` (default: the built-in moons) are the names `moons` may use.
 * @throws InvalidPlanetSpecError listing every problem with its path in the spec.
 */
export function parsePlanetSpec(input: unknown, knownMoons: readonly string[] = CORE_MOONS): PlanetSpec {
  const r = planetSpecSchema.safeParse(input);
  const issues = r.success
    ? specMoonIssues(r.data, knownMoons).map((i) => ({ path: i.path.join('.'), message: i.message }))
    : r.error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
  if (issues.length > 0 || !r.success) {
    const name =
      typeof (input as { name?: unknown } | null)?.name === 'string'
        ? ` '${(input as { name: string }).name}'`
        : '';
    throw new InvalidPlanetSpecError(
      `invalid planet spec${name}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { issues, ...(r.success ? {} : { cause: r.error }) },
    );
  }
  return r.data;
}

/** The zod schema of a spec's answer description. */
export function answerSchemaOf(spec: PlanetSpec): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, f] of Object.entries(spec.answer.properties)) {
    let t: z.ZodType;
    switch (f.type) {
      case 'number':
      case 'integer': {
        let n = f.type === 'integer' ? z.int() : z.number();
        const lo = key === 'signal' ? -1 : key === 'confidence' ? 0 : f.minimum;
        const hi = key === 'signal' || key === 'confidence' ? 1 : f.maximum;
        if (lo !== undefined) n = n.min(Math.max(lo, f.minimum ?? lo));
        if (hi !== undefined) n = n.max(Math.min(hi, f.maximum ?? hi));
        t = n;
        break;
      }
      case 'string':
        t =
          f.enum !== undefined
            ? z.enum(f.enum as [string, ...string[]])
            : z.string().max(f.maxLength ?? 2000);
        break;
      case 'boolean':
        t = z.boolean();
        break;
      case 'array': {
        const item = f.items.type === 'string' ? z.string().max(1000) : z.number();
        t = z.array(item).max(f.maxItems ?? 20);
        break;
      }
      default: {
        const never: never = f;
        throw new Error(`unsupported field ${JSON.stringify(never)}`);
      }
    }
    const required = key === 'signal' || key === 'confidence' || spec.answer.required.includes(key);
    shape[key] = required ? t : t.optional();
  }
  return z.object(shape);
}

function valueAt(input: PlanetInput, moon: string, field: string): unknown {
  const reading = input.snapshot.readings[moon];
  return reading !== null && typeof reading === 'object'
    ? (reading as Record<string, unknown>)[field]
    : undefined;
}

/** Fills the prompt template from the snapshot. */
export function renderPrompt(spec: PlanetSpec, input: PlanetInput): string {
  return spec.prompt.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (_, ref: string) => {
    if (ref === 'symbol') return input.snapshot.symbol;
    if (ref === 'close') return fmt(input.snapshot.bar.close, 6);
    if (ref === 'time') return new Date(input.snapshot.bar.time).toISOString();
    if (ref === 'news') return input.news?.length ? input.news.join(' | ') : 'none';
    const [moon = '', field = ''] = ref.split('.');
    const v = valueAt(input, moon, field);
    return typeof v === 'number' ? fmt(v, 6) : v === null || v === undefined ? 'n/a' : String(v);
  });
}

function assessBySpec(spec: PlanetSpec, input: PlanetInput): PlanetAssessment {
  for (const [i, r] of spec.rules.entries()) {
    const v = valueAt(input, r.when.moon, r.when.field);
    if (typeof v !== 'number') {
      // Not reported yet (warming up, or its moon failed): the rule cannot match. Anything else is a
      // spec that does not fit the data, which must not pass for "never matched".
      if (v === null || v === undefined) {
        const reading = input.snapshot.readings[r.when.moon];
        if (v === null || reading === null || typeof reading !== 'object' || r.when.field in reading)
          continue;
      }
      const what = v === undefined ? 'is not reported' : `is ${JSON.stringify(v)}, not a number`;
      throw new InvalidPlanetSpecError(
        `planet '${spec.name}': rule ${i} reads ${r.when.moon}.${r.when.field}, which ${what}`,
        { issues: [{ path: `rules.${i}.when.field`, message: `${r.when.moon}.${r.when.field} ${what}` }] },
      );
    }
    const hit =
      r.when.op === '<'
        ? v < r.when.value
        : r.when.op === '<='
          ? v <= r.when.value
          : r.when.op === '>'
            ? v > r.when.value
            : v >= r.when.value;
    if (hit) {
      return {
        signal: r.signal,
        confidence: r.confidence,
        reasons: [r.reason ?? `${r.when.moon}.${r.when.field} ${fmt(v)} ${r.when.op} ${r.when.value}`],
      };
    }
  }
  return { signal: 0, confidence: 0, reasons: ['no rule matched: neutral'] };
}

/**
 * Builds a live planet from a declarative spec, with no code generation: the spec's rules are its
 * deterministic analysis, its template and answer description make its one LLM call.
 * @throws InvalidPlanetSpecError for an invalid spec (every problem listed with its path).
 */
export function planetFromSpec(
  input: unknown,
  opts: { gateway?: LLMCaller | null; knownMoons?: readonly string[] } = {},
): Planet {
  const spec = parsePlanetSpec(input, opts.knownMoons);
  const schema = answerSchemaOf(spec);
  const format = JSON.stringify(spec.answer.properties);
  return definePlanet({
    name: spec.name,
    weight: spec.weight,
    moons: spec.moons,
    task: spec.task,
    gateway: opts.gateway,
    assess: (i) => assessBySpec(spec, i),
    prompt: (i, base) => ({
      schema,
      messages: [
        {
          role: 'system',
          content:
            `You are the ${spec.role} of Orrery, a trading system: one of several analysts whose signals are combined. ` +
            'First plan, then carry out the plan, in the same answer. Answer with ONE JSON object and nothing else, ' +
            `with these properties: ${format}. "signal" runs from -1 (strong sell) to 1 (strong buy).`,
        },
        {
          role: 'user',
          content: `${renderPrompt(spec, i)}\nRule-based analysis: signal ${fmt(base.signal)}, confidence ${fmt(base.confidence)}; ${base.reasons.join('; ')}.`,
        },
      ],
      read: (answer) => {
        const a = answer as Record<string, unknown>;
        const reasons = Array.isArray(a.reasons)
          ? (a.reasons as string[])
          : Object.entries(a)
              .filter(([k]) => k !== 'signal' && k !== 'confidence')
              .map(([k, v]) => `${k}: ${String(v)}`);
        return {
          signal: clamp(a.signal as number),
          confidence: clamp(a.confidence as number, 0, 1),
          reasons,
        };
      },
    }),
  });
}
