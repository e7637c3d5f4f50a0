import { z } from 'zod';

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const REFERENCE = /^[A-Za-z_][A-Za-z0-9_-]{0,63}(\.[^.\s]+)*$/;

/** A step id or agent name: a letter or `_`, then letters, digits, `_` or `-` (at most 64 characters; no dots). */
export const nameSchema = z
  .string()
  .regex(NAME, 'must start with a letter or _ and hold only letters, digits, _ or - (max 64)');

/**
 * A reference to an earlier step's output: `stepId` (the whole output) or `stepId.path.to.field`
 * (array elements by index: `stepId.items.0.price`). Referencing a step makes it a dependency.
 */
export const referenceSchema = z
  .object({
    from: z
      .string()
      .regex(REFERENCE, 'must be "stepId" or "stepId.field.path"')
      .describe('stepId or stepId.field.path of an earlier step output'),
  })
  .strict();

/** A literal input value (any JSON). */
export const literalSchema = z.object({ value: z.unknown().describe('any JSON value') }).strict();

/** Where one input of a step comes from: `{ value }` (a literal) or `{ from }` (an earlier step's output). */
export const inputSourceSchema = z.union([referenceSchema, literalSchema]);

/**
 * A condition on an earlier step's output (`from`), compared with `value`: `eq`/`ne` (JSON equality),
 * `gt`/`gte`/`lt`/`lte` (numbers), `in` (`value` is an array holding it), `exists` (not null/undefined).
 */
export const conditionSchema = z
  .object({
    from: referenceSchema.shape.from,
    op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'exists']).default('eq'),
    value: z.unknown().optional(),
  })
  .strict();

/**
 * What happens when a step fails after its retries: `fail` (the workflow fails), `skip` (the step is
 * skipped; steps reading its output are skipped too) or `fallback` (the step succeeds with `value`, which
 * must match the agent's output schema).
 */
export const errorPolicySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('fail') }).strict(),
  z.object({ type: z.literal('skip') }).strict(),
  z.object({ type: z.literal('fallback'), value: z.unknown() }).strict(),
]);

/** One branch of a decision step. */
export const branchSchema = z
  .object({
    name: nameSchema,
    description: z.string().default(''),
    /** The branch is valid only when this holds (always valid without one). */
    if: conditionSchema.optional(),
  })
  .strict();

/**
 * A decision point: the valid branches (those whose `if` holds) are computed; one valid branch is taken
 * as is, several are chosen among (by an LLM in ADAPTIVE/CREATIVE mode, else deterministically), none
 * falls back to `default`. The step's output is `{ branch }`; later steps select on it with `when`.
 */
export const decisionSchema = z
  .object({
    question: z.string().min(1),
    branches: z.array(branchSchema).min(2),
    default: nameSchema.optional(),
  })
  .strict();

/**
 * One step. It either calls an agent of the registry (`agent`, with `inputs`) or is a decision (`decide`).
 * Inputs are literals or references; references and `dependsOn` are its dependencies.
 */
export const stepSchema = z
  .object({
    id: nameSchema,
    description: z.string().optional(),
    /** The registry agent (or tool) this step calls. */
    agent: nameSchema.optional(),
    /** A decision instead of an agent call. */
    decide: decisionSchema.optional(),
    /** Input name → literal or reference; checked against the agent's input schema. */
    inputs: z.record(z.string().min(1), inputSourceSchema).default({}),
    /** Steps that must finish first (in addition to every referenced step). */
    dependsOn: z.array(nameSchema).default([]),
    /** Run only when this holds; otherwise the step is skipped. */
    when: conditionSchema.optional(),
    /** Time limit of one attempt, in milliseconds (default: the engine's, if any). */
    timeoutMs: z.number().int().positive().optional(),
    /** Extra attempts after a failure. Opt-in: 0 (no retry) unless set. */
    retries: z.number().int().min(0).max(10).default(0),
    /** What a failure (after retries) means. Default `fail`. */
    onError: errorPolicySchema.default({ type: 'fail' }),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.agent === undefined) === (s.decide === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['agent'],
        message: `step ${s.id} must have exactly one of "agent" or "decide"`,
      });
    }
  });

/**
 * A workflow: steps (run with as much parallelism as their dependencies allow) and its named outputs
 * (references into step outputs). Validate with `validateWorkflow` before running; the engine does.
 *
 * @example
 * const wf = workflowSchema.parse({
 *   id: 'analyse',
 *   steps: [
 *     { id: 'fetch', agent: 'prices', inputs: { symbol: { value: 'BTC' } } },
 *     { id: 'score', agent: 'score', inputs: { closes: { from: 'fetch.closes' } }, onError: { type: 'skip' } },
 *   ],
 *   outputs: { score: { from: 'score.value' } },
 * });
 */
export const workflowSchema = z
  .object({
    id: nameSchema,
    description: z.string().optional(),
    steps: z.array(stepSchema).min(1).max(500),
    outputs: z.record(z.string().min(1), referenceSchema).default({}),
  })
  .strict();

/** A parsed workflow (defaults applied). */
export type Workflow = z.output<typeof workflowSchema>;
/** A workflow as written (defaults optional). */
export type WorkflowInput = z.input<typeof workflowSchema>;
/** One parsed step. */
export type Step = z.output<typeof stepSchema>;
/** A step as written. */
export type StepInput = z.input<typeof stepSchema>;
/** A literal or a reference. */
export type InputSource = z.output<typeof inputSourceSchema>;
/** A condition on an earlier output. */
export type Condition = z.output<typeof conditionSchema>;
/** A step's failure policy. */
export type ErrorPolicy = z.output<typeof errorPolicySchema>;
/** A decision step's definition. */
export type Decision = z.output<typeof decisionSchema>;

/** The output schema of every decision step: the branch taken. */
export const decisionOutputSchema = z.object({ branch: z.string() });

/** Splits a reference into its step id and the path inside that step's output. */
export function parseReference(from: string): { stepId: string; path: string[] } {
  const [stepId = '', ...path] = from.split('.');
  return { stepId, path };
}

/** Every step a step depends on: `dependsOn`, every reference in `inputs`, `when` and branch conditions. */
export function dependenciesOf(step: Step): string[] {
  const deps = new Set(step.dependsOn);
  for (const src of Object.values(step.inputs)) if ('from' in src) deps.add(parseReference(src.from).stepId);
  if (step.when !== undefined) deps.add(parseReference(step.when.from).stepId);
  for (const b of step.decide?.branches ?? []) {
    if (b.if !== undefined) deps.add(parseReference(b.if.from).stepId);
  }
  return [...deps];
}

/**
 * The steps whose outputs a step needs (its `inputs` and `when` references): when one of them was skipped,
 * the step is skipped too. Branch conditions are not among them: they see a skipped step as `undefined`.
 */
export function dataDependenciesOf(step: Step): string[] {
  const deps = new Set<string>();
  for (const src of Object.values(step.inputs)) if ('from' in src) deps.add(parseReference(src.from).stepId);
  if (step.when !== undefined) deps.add(parseReference(step.when.from).stepId);
  return [...deps];
}
