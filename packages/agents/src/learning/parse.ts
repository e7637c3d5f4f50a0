import type { z } from 'zod';
import { LearningInputError } from './learning-errors.ts';

/**
 * Parses `input` with `schema`, or throws a {@link LearningInputError} naming the first offending field
 * (prefixed with `root`).
 */
export function parseLearning<S extends z.ZodType>(schema: S, input: unknown, root: string): z.output<S> {
  const res = schema.safeParse(input);
  if (res.success) return res.data;
  const issue = res.error.issues[0];
  const path = [root, ...(issue?.path ?? []).map(String)].filter((p) => p !== '').join('.');
  throw new LearningInputError(`${path || '(input)'}: ${issue?.message ?? 'invalid'}`, {
    field: path,
    cause: res.error,
  });
}
