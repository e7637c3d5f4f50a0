import { randomBytes } from 'node:crypto';
import type { ChatMessage, LLMResponse } from '@orrery/core';
import { z } from 'zod';
import { orreryExtensionSchema } from './openai-wire.ts';

const textBlock = z.object({
  type: z.literal('text'),
  text: z.string(),
  cache_control: z.unknown().optional(),
  citations: z.null().optional(),
});

const content = z.union([z.string(), z.array(textBlock).min(1).max(256)]);

/**
 * The body of `POST /v1/messages` (Anthropic Messages). Text content only; `tools`, images, thinking and
 * stop sequences are refused with a 400 naming them rather than dropped. `output_format` (`json_schema`)
 * asks for a JSON answer validated against the schema, like `answerSchema`.
 */
export const messagesBodySchema = z.strictObject({
  model: z.string().min(1).max(256),
  max_tokens: z.int().min(1).max(1_000_000),
  messages: z
    .array(z.strictObject({ role: z.enum(['user', 'assistant']), content }))
    .min(1)
    .max(256),
  system: content.optional(),
  temperature: z.number().min(0).max(1).optional(),
  stream: z.boolean().optional(),
  stop_sequences: z.array(z.string()).max(0, 'stop sequences are not supported by orrery serve').optional(),
  metadata: z.object({ user_id: z.string().max(256).nullable().optional() }).optional(),
  output_format: z
    .object({
      type: z.literal('json_schema'),
      schema: z.union([z.record(z.string(), z.unknown()), z.boolean()]),
    })
    .optional(),
  orrery: orreryExtensionSchema,
});

/** A validated messages body. */
export type MessagesBody = z.output<typeof messagesBodySchema>;

const text = (c: string | readonly { text: string }[]) =>
  typeof c === 'string' ? c : c.map((b) => b.text).join('');

/** The messages of a messages body in the gateway's shape (`system` first). */
export function anthropicMessages(body: MessagesBody): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (body.system !== undefined) out.push({ role: 'system', content: text(body.system) });
  for (const m of body.messages) out.push({ role: m.role, content: text(m.content) });
  return out;
}

const ID_PREFIX = randomBytes(9).toString('base64url');
let idCounter = 0;

/** A fresh message id (`msg_…`), unique per process start and request. */
export function messageId(): string {
  idCounter += 1;
  return `msg_${ID_PREFIX}${idCounter.toString(36)}`;
}

/** The `message` object of an answer. */
export function anthropicMessage(id: string, res: LLMResponse): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model: `${res.provider}/${res.model}`,
    content: [{ type: 'text', text: res.text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: res.tokensIn, output_tokens: res.tokensOut },
  };
}
