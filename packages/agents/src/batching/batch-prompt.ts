import {
  type ChatMessage,
  type LLMRequest,
  LLMResponseFormatError,
  type ModelTarget,
  schemaIdentity,
} from '@orrery/core';
import { z } from 'zod';

/** One symbol's request in a batch. */
export interface BatchPart {
  symbol: string;
  req: LLMRequest<unknown>;
}

/** The answer of a batched call: one value per symbol. */
export const batchAnswerSchema = z.record(z.string(), z.unknown());

/**
 * What requests must share to be asked in one call: the task, the system message, the answer schema,
 * the sampling settings, the target and the mode. Undefined when the request cannot be batched at all
 * (no schema, not exactly one system and one user message, cached, or on a delegation chain budget).
 * A part the batch window looked up in the cache and missed is batched without its `cache`.
 */
export function batchKey(req: LLMRequest<unknown>): string | undefined {
  const [system, user, ...rest] = req.messages;
  if (req.schema === undefined || rest.length > 0) return undefined;
  if (system?.role !== 'system' || user?.role !== 'user') return undefined;
  if (req.cache !== undefined || req.budget !== undefined || req.currentFeatures !== undefined)
    return undefined;
  return JSON.stringify([
    req.task,
    system.content,
    schemaIdentity(req.schema),
    req.temperature ?? null,
    req.target === undefined ? null : [req.target.provider, req.target.model],
    req.mode ?? null,
  ]);
}

/** The section heading of a symbol in a batched prompt. */
const heading = (symbol: string) => `### ${JSON.stringify(symbol)}`;

/**
 * One request asking what `parts` ask, for every symbol at once: the shared system message plus the
 * batching rules, and one user message with a section per symbol. The answer must be one JSON object
 * keyed by symbol. `maxTokens` is the sum of the parts' caps, at most `maxTokensCap`.
 */
export function combineRequests(
  parts: readonly BatchPart[],
  opts: { ref: string; maxTokensCap: number; defaultMaxTokens: number },
): LLMRequest<Record<string, unknown>> {
  const first = parts[0]!.req;
  const system = first.messages[0] as ChatMessage;
  const symbols = parts.map((p) => JSON.stringify(p.symbol)).join(', ');
  const rules =
    `This request covers ${parts.length} symbols at once; each one's data follows under its own ` +
    `${heading('SYMBOL')} heading. Judge each symbol only from its own section. Answer with ONE JSON ` +
    `object and nothing else, whose keys are exactly the symbols ${symbols}, and whose value for each ` +
    'symbol is the JSON object the format above asks for.';
  const sections = parts.map((p) => `${heading(p.symbol)}\n${(p.req.messages[1] as ChatMessage).content}`);
  const maxTokens = parts.reduce((a, p) => a + (p.req.maxTokens ?? opts.defaultMaxTokens), 0);
  const target: ModelTarget | undefined = first.target;
  return {
    task: first.task,
    messages: [
      { role: 'system', content: `${system.content}\n\n${rules}` },
      { role: 'user', content: sections.join('\n\n') },
    ],
    schema: batchAnswerSchema,
    maxTokens: Math.min(maxTokens, opts.maxTokensCap),
    ref: opts.ref,
    ...(first.mode === undefined ? {} : { mode: first.mode }),
    ...(first.temperature === undefined ? {} : { temperature: first.temperature }),
    ...(target === undefined ? {} : { target }),
    ...(parts.some((p) => p.req.critical === true) ? { critical: true } : {}),
  };
}

/** One symbol's part of a batched answer: validated against its own schema, or why it is unusable. */
export type PartResult =
  | { ok: true; parsed: unknown; text: string }
  | { ok: false; error: LLMResponseFormatError; text: string };

/** Validates each symbol's part of a batched answer against that symbol's request schema. */
export function splitAnswer(
  parts: readonly BatchPart[],
  answer: Readonly<Record<string, unknown>>,
  where: ModelTarget,
): PartResult[] {
  return parts.map(({ symbol, req }) => {
    const value = Object.hasOwn(answer, symbol) ? answer[symbol] : undefined;
    const text = value === undefined ? '' : JSON.stringify(value);
    if (value === undefined) {
      const error = new LLMResponseFormatError(
        `${where.provider}/${where.model}: the batched answer has no part for ${symbol}`,
        { ...where, raw: JSON.stringify(answer).slice(0, 2000) },
      );
      return { ok: false, error, text };
    }
    const r = (req.schema as z.ZodType).safeParse(value);
    if (r.success) return { ok: true, parsed: r.data, text };
    const issues = r.error.issues.map((i) => ({ path: i.path, message: i.message }));
    const detail = issues
      .slice(0, 5)
      .map((i) => `${i.path.length === 0 ? '(root)' : i.path.map(String).join('.')}: ${i.message}`)
      .join('; ');
    const error = new LLMResponseFormatError(
      `${where.provider}/${where.model}: the batched answer's part for ${symbol} does not match the schema — ${detail}`,
      { ...where, raw: text, issues, cause: r.error },
    );
    return { ok: false, error, text };
  });
}
