import type { ServerResponse } from 'node:http';
import type { LlmRecordedRequest } from './llm-server.ts';

/** A streamed answer as the test scripted it: the text's pieces, its usage, and an optional pause. */
export interface StreamedText {
  id: string;
  text: string;
  input: number;
  output: number;
  /** When set, the server sends the first piece, then waits for this before sending the rest. */
  hold?: Promise<unknown> | undefined;
}

/** `text` in pieces of a word or so (with their whitespace); joined, they are the text. */
export function pieces(text: string): string[] {
  const out = text.match(/\S+\s*|\s+/g) ?? [];
  return out.length === 0 ? [''] : out;
}

/** Whether a chat request asked for a streamed answer (`stream: true`, OpenAI and Anthropic wires). */
export function wantsStream(rec: LlmRecordedRequest): boolean {
  return (
    rec.wire !== 'ollama' &&
    typeof rec.body === 'object' &&
    rec.body !== null &&
    (rec.body as { stream?: unknown }).stream === true
  );
}

/**
 * Sends `answer` as server-sent events in the request's wire format: OpenAI chat completion chunks (a
 * role chunk, one chunk per piece, a finish chunk, the usage chunk when `stream_options.include_usage`,
 * then `data: [DONE]`), or Anthropic's Messages events (`message_start`, `content_block_start`, one
 * `content_block_delta` per piece, `content_block_stop`, `message_delta` with the usage, `message_stop`).
 */
export async function sendStream(
  res: ServerResponse,
  rec: LlmRecordedRequest,
  answer: StreamedText,
): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const events = rec.wire === 'anthropic' ? anthropicEvents(rec, answer) : openaiEvents(rec, answer);
  const parts = pieces(answer.text);
  for (const e of events.head) res.write(e);
  for (let i = 0; i < parts.length; i++) {
    res.write(events.piece(parts[i] as string));
    if (i === 0 && answer.hold !== undefined) {
      await answer.hold;
      if (res.destroyed) return;
    }
  }
  for (const e of events.tail) res.write(e);
  res.end();
}

interface Events {
  head: string[];
  piece(text: string): string;
  tail: string[];
}

const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`;
const event = (name: string, value: unknown) => `event: ${name}\n${data(value)}`;

function openaiEvents(rec: LlmRecordedRequest, a: StreamedText): Events {
  const base = {
    id: `chatcmpl-${a.id}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: rec.model,
  };
  const chunk = (delta: unknown, finish: string | null) =>
    data({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  const options = (rec.body as { stream_options?: { include_usage?: unknown } }).stream_options;
  const usage = { prompt_tokens: a.input, completion_tokens: a.output, total_tokens: a.input + a.output };
  return {
    head: [chunk({ role: 'assistant', content: '', refusal: null }, null)],
    piece: (text) => chunk({ content: text }, null),
    tail: [
      chunk({}, 'stop'),
      ...(options?.include_usage === true ? [data({ ...base, choices: [], usage })] : []),
      'data: [DONE]\n\n',
    ],
  };
}

function anthropicEvents(rec: LlmRecordedRequest, a: StreamedText): Events {
  const message = {
    id: `msg_${a.id}`,
    type: 'message',
    role: 'assistant',
    model: rec.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: a.input, output_tokens: 1 },
  };
  return {
    head: [
      event('message_start', { type: 'message_start', message }),
      event('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }),
    ],
    piece: (text) =>
      event('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text },
      }),
    tail: [
      event('content_block_stop', { type: 'content_block_stop', index: 0 }),
      event('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: a.output },
      }),
      event('message_stop', { type: 'message_stop' }),
    ],
  };
}
