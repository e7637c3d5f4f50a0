import { LLMProviderError } from '../errors.ts';
import { errorFields } from './http-pool.ts';
import type { SseEvent } from './sse.ts';

/**
 * Reads one wire's streamed answer: each event in, text pieces out to `onText` as they arrive, and at
 * the end the answer in the shape the same wire gives without streaming, so one reader handles both.
 */
export interface StreamFold {
  onEvent(event: SseEvent): void;
  /** The non-streamed body this stream amounts to (`undefined` when it carried no answer at all). */
  result(): unknown;
}

/** What a fold names in its errors. */
interface Who {
  provider: string;
  model: string;
}

function parse(e: SseEvent, who: Who): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(e.data);
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new LLMProviderError(
    `${who.provider}/${who.model} streamed an event that is not a JSON object; no retry`,
    who,
  );
}

/** An `error` a stream carried mid-answer, as the typed provider error. */
function streamError(body: unknown, who: Who): LLMProviderError {
  const f = errorFields(body);
  const kind = [f.type, f.code].filter((x) => x !== undefined).join('/');
  return new LLMProviderError(
    `${who.provider}/${who.model} failed mid-stream: ${kind === '' ? '' : `${kind}: `}${(f.message ?? 'no message').slice(0, 300)}; no retry`,
    { ...who, providerType: f.type, providerCode: f.code },
  );
}

/**
 * OpenAI chat completion chunks (`choices[0].delta.content` / `.refusal`, `finish_reason`, the usage
 * chunk of `stream_options.include_usage`, `data: [DONE]`) folded into a chat completion.
 */
export function openaiStreamFold(onText: (text: string) => void, who: Who): StreamFold {
  let content = '';
  let refusal: string | undefined;
  let finish: unknown;
  let usage: unknown;
  let choices = false;
  return {
    onEvent(e) {
      if (e.data === '[DONE]') return;
      const chunk = parse(e, who);
      if (chunk.error !== undefined) throw streamError(chunk, who);
      const choice = (
        chunk.choices as { delta?: Record<string, unknown>; finish_reason?: unknown }[] | undefined
      )?.[0];
      if (choice !== undefined) {
        choices = true;
        const piece = choice.delta?.content;
        if (typeof piece === 'string' && piece !== '') {
          content += piece;
          onText(piece);
        }
        if (typeof choice.delta?.refusal === 'string') refusal = (refusal ?? '') + choice.delta.refusal;
        if (choice.finish_reason !== null && choice.finish_reason !== undefined)
          finish = choice.finish_reason;
      }
      if (chunk.usage !== undefined && chunk.usage !== null) usage = chunk.usage;
    },
    result() {
      if (!choices) return undefined;
      const message = {
        content: content === '' && refusal !== undefined ? null : content,
        refusal: refusal ?? null,
      };
      return { choices: [{ message, finish_reason: finish }], usage };
    },
  };
}

/**
 * Anthropic Messages events (`message_start` with the input usage, `content_block_delta` text deltas,
 * `message_delta` with `stop_reason` and the output usage, `error`) folded into a message.
 */
export function anthropicStreamFold(onText: (text: string) => void, who: Who): StreamFold {
  let text = '';
  let started = false;
  let stopReason: unknown;
  const usage: Record<string, unknown> = {};
  return {
    onEvent(e) {
      const ev = parse(e, who);
      switch (ev.type) {
        case 'message_start': {
          started = true;
          Object.assign(usage, (ev.message as { usage?: object } | undefined)?.usage ?? {});
          break;
        }
        case 'content_block_delta': {
          const delta = ev.delta as { type?: unknown; text?: unknown } | undefined;
          if (delta?.type === 'text_delta' && typeof delta.text === 'string' && delta.text !== '') {
            text += delta.text;
            onText(delta.text);
          }
          break;
        }
        case 'message_delta': {
          stopReason = (ev.delta as { stop_reason?: unknown } | undefined)?.stop_reason;
          Object.assign(usage, (ev.usage as object | undefined) ?? {});
          break;
        }
        case 'error':
          throw streamError(ev, who);
        default:
      }
    },
    result() {
      return started ? { content: [{ type: 'text', text }], stop_reason: stopReason, usage } : undefined;
    },
  };
}
