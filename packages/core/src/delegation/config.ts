import { z } from 'zod';
import { LLMConfigError } from '../errors.ts';
import { DEFAULT_TASK_TYPES, taskSettingsSchema } from './task-types.ts';

const taskName = z
  .string()
  .regex(
    /^[a-z][a-z0-9_-]*$/,
    'task names are lower-case letters, digits, "_" or "-", starting with a letter',
  );

/**
 * The `delegation` section: task types (merged field by field over {@link DEFAULT_TASK_TYPES}), the
 * default task, the usage log and the batch concurrency. Every field has a default.
 */
export const delegationConfigSchema = z
  .strictObject({
    tasks: z
      .record(taskName, taskSettingsSchema)
      .default({})
      .describe(
        `Task types by name; an entry overrides the built-in one of that name field by field, or adds one. Built in: ${Object.keys(DEFAULT_TASK_TYPES).join(', ')}.`,
      )
      .transform((tasks) => {
        const merged: Record<string, z.output<typeof taskSettingsSchema>> = {};
        for (const [name, t] of Object.entries(DEFAULT_TASK_TYPES)) merged[name] = { ...t };
        for (const [name, t] of Object.entries(tasks)) merged[name] = { ...merged[name], ...t };
        return merged;
      }),
    defaultTask: taskName
      .default('quick')
      .describe('The task used when `orrery delegate` names none (one of `tasks`). Default `quick`.'),
    logFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A JSONL file the runner appends one line to per delegation (relative to the config file). Default: none.',
      ),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe('How many delegations of a batch run at once, 1..64. Default 4.'),
  })
  .superRefine((c, ctx) => {
    if (!(c.defaultTask in c.tasks))
      ctx.addIssue({
        code: 'custom',
        path: ['defaultTask'],
        message: `unknown task "${c.defaultTask}" (known: ${Object.keys(c.tasks).join(', ')})`,
      });
  });

/** The `delegation` section as written (every field optional). */
export type DelegationConfigInput = z.input<typeof delegationConfigSchema>;
/** The parsed `delegation` section (built-in task types merged in). */
export type DelegationConfig = z.output<typeof delegationConfigSchema>;

/**
 * Validates a `delegation` section and merges the built-in task types.
 *
 * @throws {LLMConfigError} with `path` naming the first offending key inside the section (e.g.
 *   `tasks.review.maxTokens`); the message lists up to five problems.
 */
export function parseDelegationConfig(input: unknown = {}): DelegationConfig {
  const result = delegationConfigSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  const where = (i: z.core.$ZodIssue) => i.path.map(String).join('.');
  const first = result.error.issues[0];
  const list = result.error.issues
    .slice(0, 5)
    .map((i) => `${where(i) || '(root)'}: ${i.message}`)
    .join('; ');
  throw new LLMConfigError(`invalid delegation config — ${list}`, {
    path: first === undefined ? '' : where(first),
  });
}
