import { type LLMRequest, LLMResponseFormatError, type LlmCaller, stripJsonFences } from '@orrery/core';
import { PlanRejectedError, type WorkflowIssue, WorkflowIssueCode } from './errors.ts';
import { schemaIssues } from './validate.ts';

/** A validated answer and how it came about. */
export interface ValidatedAnswer<T> {
  value: T;
  /** LLM answers used: 1, or 2 when the first was repaired. */
  attempts: 1 | 2;
  /** The first answer was invalid and the repair was accepted. */
  repaired: boolean;
  /** Whether the accepted answer came from the gateway's cache. */
  cached: boolean;
}

/**
 * Asks for a JSON answer that must pass `request.schema` and then `check`; an invalid answer is repaired
 * exactly once — a second call with the original messages, the invalid answer and its problems. Throws
 * `PlanRejectedError` (with the last problems) when the repair is invalid too; the gateway's other
 * `LLMError`s (budget, cooldown, 429, timeout…) propagate unchanged.
 */
export async function askWithRepair<T>(
  gateway: LlmCaller,
  request: LLMRequest<T> & { schema: NonNullable<LLMRequest<T>['schema']> },
  check: (value: T) => WorkflowIssue[],
): Promise<ValidatedAnswer<T>> {
  const first = await answerOf(gateway, request, check);
  if (first.issues.length === 0)
    return { value: first.value as T, attempts: 1, repaired: false, cached: first.cached };
  const repair: typeof request = {
    ...request,
    cache: undefined,
    messages: [
      ...request.messages,
      { role: 'assistant', content: first.raw },
      {
        role: 'user',
        content: [
          'That answer is invalid and was not executed. Problems:',
          ...first.issues.slice(0, 20).map((i) => `- [${i.code}] ${i.message}`),
          'Answer again with the corrected JSON object only.',
        ].join('\n'),
      },
    ],
  };
  const second = await answerOf(gateway, repair, check);
  if (second.issues.length === 0)
    return { value: second.value as T, attempts: 2, repaired: true, cached: second.cached };
  throw new PlanRejectedError(second.issues, 2);
}

interface Answer<T> {
  value: T | undefined;
  raw: string;
  issues: WorkflowIssue[];
  cached: boolean;
}

async function answerOf<T>(
  gateway: LlmCaller,
  request: LLMRequest<T> & { schema: NonNullable<LLMRequest<T>['schema']> },
  check: (value: T) => WorkflowIssue[],
): Promise<Answer<T>> {
  try {
    const res = await gateway.execute(request);
    const value = res.parsed as T;
    return { value, raw: res.text, issues: check(value), cached: res.cached };
  } catch (err) {
    if (!(err instanceof LLMResponseFormatError)) throw err;
    return { value: undefined, raw: err.raw, issues: formatIssues(err.raw, request.schema), cached: false };
  }
}

/** Why a raw answer broke the schema, naming steps where the answer has them. */
function formatIssues(raw: string, schema: NonNullable<LLMRequest<unknown>['schema']>): WorkflowIssue[] {
  let json: unknown;
  try {
    json = JSON.parse(stripJsonFences(raw));
  } catch (err) {
    return [
      {
        code: WorkflowIssueCode.SCHEMA,
        path: '',
        message: `the answer is not JSON (${(err as Error).message})`,
      },
    ];
  }
  const r = schema.safeParse(json);
  if (r.success) return []; // cannot happen: the gateway refused it
  return schemaIssues(json, r.error);
}
