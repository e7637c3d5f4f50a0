import type { z } from 'zod';
import { LLMResponseFormatError } from './errors.ts';

const FENCE = /^\s*```(?:json|JSON)?\s*\n?([\s\S]*?)\n?\s*```\s*$/;

/** Removes one surrounding Markdown code fence (```json … ```), which models add despite being asked not to. */
export function stripJsonFences(text: string): string {
  const m = FENCE.exec(text);
  return (m?.[1] ?? text).trim();
}

/**
 * Reads a model's JSON answer: strips a code fence, parses, validates against `schema`.
 * Throws {@link LLMResponseFormatError} (with the zod issue paths) on bad JSON or a schema violation;
 * never anything else.
 */
export function parseJsonAnswer<T>(
  text: string,
  schema: z.ZodType<T>,
  target: { provider: string; model: string },
): T {
  const body = stripJsonFences(text);
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new LLMResponseFormatError(
      `${target.provider}/${target.model} answered text that is not JSON (${(err as Error).message})`,
      { ...target, raw: text, cause: err },
    );
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: i.path, message: i.message }));
    const where = issues
      .slice(0, 5)
      .map((i) => `${i.path.length === 0 ? '(root)' : i.path.map(String).join('.')}: ${i.message}`)
      .join('; ');
    throw new LLMResponseFormatError(
      `${target.provider}/${target.model} answered JSON that does not match the schema — ${where}`,
      { ...target, raw: text, issues, cause: result.error },
    );
  }
  return result.data;
}
