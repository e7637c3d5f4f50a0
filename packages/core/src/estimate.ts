import type { ChatMessage } from './request.ts';

/** Characters per token assumed by the pre-call estimate (English prose averages ~4). */
export const CHARS_PER_TOKEN = 4;

/**
 * Tokens a call may use, estimated before it is made so the budget can be reserved:
 * `ceil(characters of all messages / 4) + 4 per message + maxTokens` (the answer may use all of
 * `maxTokens`). Deliberately pessimistic on the answer side; reconciled with the provider's usage after.
 */
export function estimateTokens(messages: readonly ChatMessage[], maxTokens: number): number {
  let chars = 0;
  for (const m of messages) chars += m.content.length;
  return Math.ceil(chars / CHARS_PER_TOKEN) + 4 * messages.length + maxTokens;
}
