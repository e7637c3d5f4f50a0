import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodType, z } from 'zod';
import { authenticate, type CompatCaller } from '../compat/compat-call.ts';
import {
  answeredModel,
  type ChatCompletionsBody,
  chatCompletion,
  chatCompletionsBodySchema,
  chatMessages,
  chunk,
  completionId,
  type orreryExtensionSchema,
  textPieces,
  usageChunk,
} from '../compat/openai-wire.ts';
import { type Parsed, serveCompat, type Wire } from '../compat/serve-compat.ts';
import { failureHeaders, openaiErrorBody, requestFailure } from '../compat/wire-error.ts';
import type { ServeContext } from '../context.ts';
import { ServeErrorCode } from '../problem.ts';

/** The task types a caller may use (`undefined`: any). */
export function callerTasks(caller: CompatCaller): readonly string[] | undefined {
  return caller.kind === 'key' ? caller.state.record.tasks : undefined;
}

/** The `x-orrery-task` header (the task of a request naming a concrete model). */
export function taskHeader(req: FastifyRequest): string | undefined {
  const h = req.headers['x-orrery-task'];
  return typeof h === 'string' && /^[A-Za-z0-9_.:-]{1,128}$/.test(h) ? h : undefined;
}

/**
 * Shared by both wires: the gateway options of a request — the body's `orrery` extension (critical,
 * cache, current features), else the `x-orrery-cache-ttl-ms` header opting it into the cache — or the
 * 400 naming the header when it is not an integer of milliseconds in 0 … 86 400 000.
 */
export function gatewayOptionsOf(
  req: FastifyRequest,
  ext: z.output<typeof orreryExtensionSchema> | undefined,
):
  | {
      ok: true;
      options: {
        critical: boolean | undefined;
        cache: NonNullable<typeof ext>['cache'];
        currentFeatures: NonNullable<typeof ext>['currentFeatures'];
      };
    }
  | { ok: false; failure: ReturnType<typeof requestFailure> } {
  const h = req.headers['x-orrery-cache-ttl-ms'];
  const n = typeof h === 'string' ? Number(h) : undefined;
  if (n !== undefined && !(Number.isInteger(n) && n >= 0 && n <= 86_400_000)) {
    return {
      ok: false,
      failure: requestFailure(
        400,
        ServeErrorCode.INVALID_BODY,
        'x-orrery-cache-ttl-ms: must be an integer of milliseconds, 0 to 86400000',
        'x-orrery-cache-ttl-ms',
      ),
    };
  }
  return {
    ok: true,
    options: {
      critical: ext?.critical,
      cache: ext?.cache ?? (n === undefined ? undefined : { ttlMs: n }),
      currentFeatures: ext?.currentFeatures,
    },
  };
}

/** Shared by both wires: the answer schema of a request, or the 400 naming `param`. */
export function answerSchemaFor(
  ctx: ServeContext,
  jsonSchema: unknown,
  param: string,
): { ok: true; schema: ZodType } | { ok: false; failure: ReturnType<typeof requestFailure> } {
  const converted = ctx.schemas.get(jsonSchema, param);
  if (converted.ok) return converted;
  return {
    ok: false,
    failure: requestFailure(
      400,
      ServeErrorCode.INVALID_BODY,
      `${converted.path ?? param}: ${converted.message}`,
      converted.path ?? param,
    ),
  };
}

function openaiWire(ctx: ServeContext): Wire<ChatCompletionsBody> {
  return {
    body: chatCompletionsBodySchema as unknown as ZodType<ChatCompletionsBody>,
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
      const rf = body.response_format;
      if (rf?.type === 'json_object') {
        const s = answerSchemaFor(ctx, { type: 'object' }, 'response_format');
        if (!s.ok) return s;
        schema = s.schema;
      } else if (rf?.type === 'json_schema') {
        const s = answerSchemaFor(ctx, rf.json_schema.schema ?? {}, 'response_format.json_schema.schema');
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
          messages: chatMessages(body),
          schema,
          maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
          temperature: body.temperature ?? undefined,
          ...gateway.options,
        },
      };
    },
    errorBody: openaiErrorBody,
    answer: (res) => chatCompletion(completionId(), Math.floor(ctx.clock.now() / 1000), res),
    stream(body) {
      const id = completionId();
      const created = Math.floor(ctx.clock.now() / 1000);
      const includeUsage = body.stream_options?.include_usage === true;
      let model = body.model;
      return {
        begin(s) {
          s.data(chunk(id, created, model, { role: 'assistant', content: '', refusal: null }, null));
        },
        piece(s, text) {
          s.data(chunk(id, created, model, { content: text }, null));
        },
        finish(s, res, rest) {
          model = answeredModel(res);
          for (const piece of textPieces(rest)) s.data(chunk(id, created, model, { content: piece }, null));
          s.data(chunk(id, created, model, {}, 'stop'));
          if (includeUsage) s.data(usageChunk(id, created, res));
          s.data('[DONE]');
        },
        fail(s, f) {
          s.data(openaiErrorBody(f));
        },
      };
    },
  };
}

/**
 * The OpenAI-compatible routes: `POST /v1/chat/completions` (plain and streaming, `response_format`
 * `json_object`/`json_schema` validated against the schema, `usage`, OpenAI-shaped errors with
 * `x-should-retry: false`) and `GET /v1/models` (what the routing policy lets the caller name).
 */
export function openaiRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const wire = openaiWire(ctx);
  app.post('/v1/chat/completions', async (req, reply) => serveCompat(req, reply, ctx, wire));
  app.get('/v1/models', async (req, reply) => {
    const caller = authenticate(req, ctx);
    if ('status' in caller) return failureHeaders(reply, caller).send(openaiErrorBody(caller));
    const created = Math.floor(ctx.clock.now() / 1000);
    return {
      object: 'list',
      data: ctx.models
        .list(callerTasks(caller))
        .map((m) => ({ id: m.id, object: 'model', created, owned_by: m.ownedBy })),
    };
  });
}
