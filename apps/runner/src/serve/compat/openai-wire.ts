import { randomBytes } from 'node:crypto';
import type { ChatMessage, LLMResponse } from '@orrery/core';
import { z } from 'zod';

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });

const content = z.union([z.string(), z.array(textPart).min(1).max(256)]);

// Strict: a tool call or an audio part in a message is refused by name, never dropped.
const message = z.union([
  z.strictObject({ role: z.enum(['system', 'developer']), content, name: z.string().optional() }),
  z.strictObject({ role: z.literal('user'), content, name: z.string().optional() }),
  z.strictObject({
    role: z.literal('assistant'),
    content: content.nullable().optional(),
    name: z.string().optional(),
    refusal: z.string().nullable().optional(),
  }),
]);

const featuresSchema = z.record(z.string().max(64), z.number().finite());

/** Orrery's own extension of a chat completions body (the SDKs pass it as an extra body field). */
export const orreryExtensionSchema = z
  .strictObject({
    /** May use the budget's reserve and, after a 429, a fallback candidate. */
    critical: z.boolean().optional(),
    /** Cache the answer until `ttlMs` or a material change of `material.features`. */
    cache: z
      .strictObject({
        ttlMs: z.int().min(0).max(86_400_000),
        material: z.strictObject({ features: featuresSchema, thresholds: featuresSchema }).optional(),
      })
      .optional(),
    /** The current market features, checked against cached entries' thresholds. */
    currentFeatures: featuresSchema.optional(),
  })
  .optional();

/**
 * The body of `POST /v1/chat/completions` (OpenAI Chat Completions). What Orrery cannot honour is
 * refused with a 400 naming it (`tools`, `n` > 1, audio, logprobs…), never silently dropped; fields that
 * change nothing about the answer (`user`, `metadata`, `store`, `seed`, `service_tier`) are accepted.
 */
export const chatCompletionsBodySchema = z
  .strictObject({
    model: z.string().min(1).max(256),
    messages: z.array(message).min(1).max(256),
    max_completion_tokens: z.int().min(1).max(1_000_000).nullable().optional(),
    max_tokens: z.int().min(1).max(1_000_000).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    response_format: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('text') }),
        z.object({ type: z.literal('json_object') }),
        z.object({
          type: z.literal('json_schema'),
          json_schema: z.object({
            name: z.string().min(1).max(64),
            description: z.string().optional(),
            schema: z.union([z.record(z.string(), z.unknown()), z.boolean()]).optional(),
            strict: z.boolean().nullable().optional(),
          }),
        }),
      ])
      .optional(),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
    n: z.literal(1).nullable().optional(),
    user: z.string().max(256).optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    store: z.boolean().nullable().optional(),
    seed: z.int().nullable().optional(),
    service_tier: z.string().nullable().optional(),
    orrery: orreryExtensionSchema,
  })
  .superRefine((body, ctx) => {
    if (body.max_completion_tokens != null && body.max_tokens != null) {
      ctx.addIssue({
        code: 'custom',
        path: ['max_tokens'],
        message: 'send max_completion_tokens or max_tokens, not both',
      });
    }
  });

/** A validated chat completions body. */
export type ChatCompletionsBody = z.output<typeof chatCompletionsBodySchema>;

/** The messages of a chat completions body in the gateway's shape (text parts joined, `developer` = system). */
export function chatMessages(body: ChatCompletionsBody): ChatMessage[] {
  return body.messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content:
      m.content === undefined || m.content === null
        ? ''
        : typeof m.content === 'string'
          ? m.content
          : m.content.map((p) => p.text).join(''),
  }));
}

const ID_PREFIX = randomBytes(9).toString('base64url');
let idCounter = 0;

/** A fresh completion id (`chatcmpl-…`): unique per process start and request, without a random draw each. */
export function completionId(): string {
  idCounter += 1;
  return `chatcmpl-${ID_PREFIX}${idCounter.toString(36)}`;
}

/** The `model` an answer reports: the pair that answered, `provider/model`. */
export function answeredModel(res: LLMResponse): string {
  return `${res.provider}/${res.model}`;
}

function usage(res: LLMResponse) {
  return {
    prompt_tokens: res.tokensIn,
    completion_tokens: res.tokensOut,
    total_tokens: res.tokensIn + res.tokensOut,
  };
}

/** The `chat.completion` object of an answer. */
export function chatCompletion(id: string, createdS: number, res: LLMResponse): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion',
    created: createdS,
    model: answeredModel(res),
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: res.text, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: usage(res),
    system_fingerprint: null,
  };
}

/** One `chat.completion.chunk`. */
export function chunk(
  id: string,
  createdS: number,
  model: string,
  delta: Record<string, unknown>,
  finish: string | null,
): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion.chunk',
    created: createdS,
    model,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

/** The last chunk of a stream with `include_usage`: no choices, the usage. */
export function usageChunk(id: string, createdS: number, res: LLMResponse): Record<string, unknown> {
  return {
    id,
    object: 'chat.completion.chunk',
    created: createdS,
    model: answeredModel(res),
    system_fingerprint: null,
    choices: [],
    usage: usage(res),
  };
}

/**
 * An answer's text cut into stream pieces: words (with their following whitespace) gathered up to
 * `size` characters, so a client sees it grow the way a model's stream does. Joined, they are the text.
 */
export function textPieces(text: string, size = 48): string[] {
  if (text.length <= size) return text === '' ? [] : [text];
  const words = text.match(/\S+\s*|\s+/g) ?? [text];
  const out: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur !== '' && cur.length + w.length > size) {
      out.push(cur);
      cur = '';
    }
    cur += w;
  }
  if (cur !== '') out.push(cur);
  return out;
}
