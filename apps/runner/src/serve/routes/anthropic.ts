import type { FastifyInstance } from 'fastify';
import type { ZodType } from 'zod';
import {
  anthropicMessage,
  anthropicMessages,
  type MessagesBody,
  messageId,
  messagesBodySchema,
} from '../compat/anthropic-wire.ts';
import { textPieces } from '../compat/openai-wire.ts';
import { type Parsed, serveCompat, type Wire } from '../compat/serve-compat.ts';
import { anthropicErrorBody, requestFailure } from '../compat/wire-error.ts';
import type { ServeContext } from '../context.ts';
import { ServeErrorCode } from '../problem.ts';
import { answerSchemaFor, callerTasks, gatewayOptionsOf, taskHeader } from './openai.ts';

function anthropicWire(ctx: ServeContext): Wire<MessagesBody> {
  return {
    body: messagesBodySchema as unknown as ZodType<MessagesBody>,
    parse(body, req, caller): Parsed {
      const resolved = ctx.models.resolve(body.model, taskHeader(req), callerTasks(caller));
      if ('status' in resolved) {
        return {
          ok: false,
          failure: requestFailure(
            resolved.status,
            resolved.status === 404 ? ServeErrorCode.UNKNOWN_MODEL : ServeErrorCode.FORBIDDEN_TASK,
            resolved.message,
            'model',
          ),
        };
      }
      let schema: ZodType | undefined;
      if (body.output_format !== undefined) {
        const s = answerSchemaFor(ctx, body.output_format.schema, 'output_format.schema');
        if (!s.ok) return s;
        schema = s.schema;
      }
      const gateway = gatewayOptionsOf(req, body.orrery);
      if (!gateway.ok) return gateway;
      return {
        ok: true,
        stream: body.stream === true,
        request: {
          resolved,
          messages: anthropicMessages(body),
          schema,
          maxTokens: body.max_tokens,
          temperature: body.temperature,
          ...gateway.options,
        },
      };
    },
    errorBody: anthropicErrorBody,
    answer: (res) => anthropicMessage(messageId(), res),
    stream(body) {
      const id = messageId();
      return {
        begin(s) {
          s.data(
            {
              type: 'message_start',
              message: {
                id,
                type: 'message',
                role: 'assistant',
                model: body.model,
                content: [],
                stop_reason: null,
                stop_sequence: null,
                usage: { input_tokens: 0, output_tokens: 0 },
              },
            },
            'message_start',
          );
          s.data(
            { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
            'content_block_start',
          );
          s.data({ type: 'ping' }, 'ping');
        },
        piece(s, text) {
          s.data(
            { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } },
            'content_block_delta',
          );
        },
        finish(s, res, rest) {
          for (const piece of textPieces(rest)) {
            s.data(
              { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } },
              'content_block_delta',
            );
          }
          s.data({ type: 'content_block_stop', index: 0 }, 'content_block_stop');
          s.data(
            {
              type: 'message_delta',
              delta: { stop_reason: 'end_turn', stop_sequence: null },
              usage: { input_tokens: res.tokensIn, output_tokens: res.tokensOut },
            },
            'message_delta',
          );
          s.data({ type: 'message_stop' }, 'message_stop');
        },
        fail(s, f) {
          s.data(anthropicErrorBody(f), 'error');
        },
      };
    },
  };
}

/**
 * The Anthropic-compatible route: `POST /v1/messages` (plain and streaming events, `x-api-key` or a
 * bearer key, Anthropic-shaped errors with `x-should-retry: false`), through the same gateway.
 */
export function anthropicRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const wire = anthropicWire(ctx);
  app.post('/v1/messages', async (req, reply) => serveCompat(req, reply, ctx, wire));
}
