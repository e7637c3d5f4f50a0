import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendStream, wantsStream } from './llm-stream.ts';

/**
 * A loopback LLM server for tests: a real `node:http` server on `127.0.0.1:<random port>` that speaks
 * the wire formats Orrery's gateway talks to — OpenAI chat completions, Anthropic Messages and Ollama —
 * and answers what the test scripted, recording every request so tests can count provider calls exactly.
 *
 * Routes:
 * - OpenAI: `POST /v1/chat/completions` and `POST /chat/completions` (also Ollama's OpenAI-compatible
 *   `/v1`), `GET /v1/models`.
 * - Anthropic: `POST /v1/messages`.
 * - A request with `stream: true` (OpenAI, Anthropic) gets its text answer as server-sent events in
 *   that wire's format (`hold` pauses the stream after its first piece).
 * - Ollama native: `GET /api/tags`, `POST /api/chat` (non-streaming).
 *
 * @example
 * const server = await startLlmServer();
 * server.script('gpt-4o-mini', [{ status: 429, retryAfter: 2 }, { json: { action: 'hold' } }]);
 * // providers: { openai: { kind: 'openai', baseUrl: `${server.url}/v1` } }
 * // anthropic: { kind: 'anthropic', baseUrl: server.url }
 * expect(server.requestsFor('gpt-4o-mini')).toHaveLength(1);
 * await server.close();
 */
export interface LlmServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. OpenAI clients use `${url}/v1`. */
  readonly url: string;
  /** The port the server listens on. */
  readonly port: number;
  /** Every chat request received (model listings excluded), oldest first. */
  readonly requests: readonly LlmRecordedRequest[];
  /** The chat requests received for one model. */
  requestsFor(model: string): LlmRecordedRequest[];
  /**
   * Queues replies for a model: each chat request for that model takes the next one. When the queue is
   * empty the default responder answers. Calling again appends.
   */
  script(model: string, replies: readonly LlmReply[]): void;
  /** Replaces the responder used when a model has no scripted reply left. */
  setDefault(responder: LlmResponder): void;
  /** Forgets recorded requests and scripted replies (the default responder stays). */
  reset(): void;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Which wire format a request used. */
export type LlmWire = 'openai' | 'anthropic' | 'ollama';

/** One chat request as the server received it. */
export interface LlmRecordedRequest {
  wire: LlmWire;
  method: string;
  path: string;
  /** The `model` field of the body (`''` when absent). */
  model: string;
  /** Request headers, lower-cased names (e.g. `authorization`, `x-api-key`, `anthropic-version`). */
  headers: IncomingHttpHeaders;
  /** The parsed JSON body (`undefined` when it was not JSON). */
  body: unknown;
  /** True when the client asked for a JSON answer (OpenAI `response_format`, Ollama `format`). */
  jsonMode: boolean;
  /** `Date.now()` when the request arrived. */
  receivedAt: number;
}

/**
 * What the server answers to one chat request. Every variant may add `delayMs` (wait before answering)
 * and `usage` (override the token counts, otherwise estimated at ~4 characters per token).
 * - `{ json: value }` — 200; the model's text is `JSON.stringify(value)`.
 * - `{ text: '...' }` — 200; the model's text verbatim (use it for schema-violating or fenced answers).
 * - `{ status: 429, retryAfter? }` — rate limited; `retryAfter` in seconds (number) or an HTTP date (string).
 * - `{ status: 500 | 502 | 503 | 400 | 401 …, message? }` — an error body in the wire's format.
 * - `{ malformed: true }` — 200 with the model's text cut mid-JSON (`{"answer": "trunc`).
 * - `{ rawBody: '...' }` — 200 with this exact HTTP body (e.g. not JSON at all).
 */
export type LlmReply = LlmReplyCommon &
  (
    | { json: unknown; status?: 200 }
    | { text: string; status?: 200 }
    | { status: 429; retryAfter?: number | string }
    | { status: number; message?: string }
    | { malformed: true }
    | { rawBody: string; status?: number }
  );

interface LlmReplyCommon {
  /** Milliseconds to wait before answering (to test timeouts and concurrency). */
  delayMs?: number;
  /** Token counts to report instead of the estimate. */
  usage?: { input: number; output: number };
  /** Extra response headers (e.g. `retry-after-ms`). */
  headers?: Record<string, string>;
  /**
   * For a streamed answer (`stream: true`): the server sends the first piece of the text, then waits for
   * this promise before sending the rest — so a test can see what reached the client meanwhile.
   */
  hold?: Promise<unknown>;
}

/** Answers a request when its model has no scripted reply left. May be async. */
export type LlmResponder = (req: LlmRecordedRequest) => LlmReply | Promise<LlmReply>;

/** Options of {@link startLlmServer}. */
export interface LlmServerOptions {
  /** The responder used when no scripted reply is queued (default: {@link echoResponder}). */
  respond?: LlmResponder;
  /** Model names listed by `GET /api/tags` and `GET /v1/models` (default: every model seen or scripted). */
  models?: readonly string[];
}

/**
 * The default responder: in JSON mode `{"echo": <last user message>}`, otherwise `echo: <last user message>`.
 */
export const echoResponder: LlmResponder = (req) => {
  const last = lastUserText(req.body);
  return req.jsonMode ? { json: { echo: last } } : { text: `echo: ${last}` };
};

/** Starts an {@link LlmServer} on `127.0.0.1` and a free port. */
export async function startLlmServer(options: LlmServerOptions = {}): Promise<LlmServer> {
  const requests: LlmRecordedRequest[] = [];
  const scripts = new Map<string, LlmReply[]>();
  const seenModels = new Set<string>(options.models ?? []);
  let responder: LlmResponder = options.respond ?? echoResponder;
  let counter = 0;

  const nextReply = async (rec: LlmRecordedRequest): Promise<LlmReply> => {
    const queue = scripts.get(rec.model);
    const scripted = queue?.shift();
    return scripted ?? responder(rec);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    if (method === 'GET' && (path === '/api/tags' || path === '/v1/models' || path === '/models')) {
      const names = [...seenModels];
      const body =
        path === '/api/tags'
          ? { models: names.map((name) => ({ name, model: name, size: 0, details: {} })) }
          : { object: 'list', data: names.map((id) => ({ id, object: 'model', owned_by: 'testkit' })) };
      return send(res, 200, JSON.stringify(body));
    }
    const wire = wireOf(method, path);
    if (wire === undefined) return send(res, 404, JSON.stringify({ error: { message: `no route ${path}` } }));

    const raw = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const model = typeof field(body, 'model') === 'string' ? (field(body, 'model') as string) : '';
    const rec: LlmRecordedRequest = {
      wire,
      method,
      path,
      model,
      headers: req.headers,
      body,
      jsonMode: jsonModeOf(wire, body),
      receivedAt: Date.now(),
    };
    requests.push(rec);
    if (model !== '') seenModels.add(model);
    if (body === undefined) return send(res, 400, errorBody(wire, 400, 'request body is not JSON'));

    const reply = await nextReply(rec);
    if (reply.delayMs !== undefined && reply.delayMs > 0) {
      await new Promise((r) => setTimeout(r, reply.delayMs));
      if (res.destroyed || req.socket.destroyed) return;
    }
    counter += 1;
    await answer(res, rec, reply, counter);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, JSON.stringify({ error: { message: String(err) } }));
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    requestsFor: (model) => requests.filter((r) => r.model === model),
    script(model, replies) {
      seenModels.add(model);
      const queue = scripts.get(model) ?? [];
      queue.push(...replies);
      scripts.set(model, queue);
    },
    setDefault(next) {
      responder = next;
    },
    reset() {
      requests.length = 0;
      scripts.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function wireOf(method: string, path: string): LlmWire | undefined {
  if (method !== 'POST') return undefined;
  if (path === '/v1/chat/completions' || path === '/chat/completions') return 'openai';
  if (path === '/v1/messages') return 'anthropic';
  if (path === '/api/chat') return 'ollama';
  return undefined;
}

function jsonModeOf(wire: LlmWire, body: unknown): boolean {
  if (wire === 'openai') {
    const type = field(field(body, 'response_format'), 'type');
    return type === 'json_object' || type === 'json_schema';
  }
  if (wire === 'ollama') return field(body, 'format') !== undefined;
  return false;
}

async function answer(
  res: ServerResponse,
  rec: LlmRecordedRequest,
  reply: LlmReply,
  n: number,
): Promise<void> {
  if (reply.headers !== undefined) for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
  if ('rawBody' in reply) {
    send(res, reply.status ?? 200, reply.rawBody);
  } else if ('malformed' in reply) {
    await sendAnswer(res, rec, '{"answer": "trunc', reply, n);
  } else if ('json' in reply) {
    await sendAnswer(res, rec, JSON.stringify(reply.json), reply, n);
  } else if ('text' in reply) {
    await sendAnswer(res, rec, reply.text, reply, n);
  } else if (reply.status === 429) {
    const retryAfter = 'retryAfter' in reply ? reply.retryAfter : undefined;
    const headers = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
    send(res, 429, errorBody(rec.wire, 429, 'rate limit exceeded'), headers);
  } else {
    const message = 'message' in reply && reply.message !== undefined ? reply.message : 'server error';
    send(res, reply.status, errorBody(rec.wire, reply.status, message));
  }
}

/** A 200 with the model's `text`: streamed when the request asked for it, else one JSON body. */
async function sendAnswer(
  res: ServerResponse,
  rec: LlmRecordedRequest,
  text: string,
  reply: LlmReplyCommon,
  n: number,
): Promise<void> {
  if (!wantsStream(rec)) return sendText(res, rec, text, reply.usage, n);
  const { input, output } = usageOf(rec, text, reply.usage);
  await sendStream(res, rec, { id: `testkit-${n}`, text, input, output, hold: reply.hold });
}

function sendText(
  res: ServerResponse,
  rec: LlmRecordedRequest,
  text: string,
  usage: { input: number; output: number } | undefined,
  n: number,
): void {
  const { input, output } = usageOf(rec, text, usage);
  const id = `testkit-${n}`;
  const created = Math.floor(Date.now() / 1000);
  let body: unknown;
  switch (rec.wire) {
    case 'openai':
      body = {
        id: `chatcmpl-${id}`,
        object: 'chat.completion',
        created,
        model: rec.model,
        // As the API answers (CreateChatCompletionResponse): `refusal` and `logprobs` are required, null.
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: text, refusal: null },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
      };
      break;
    case 'anthropic':
      body = {
        id: `msg_${id}`,
        type: 'message',
        role: 'assistant',
        model: rec.model,
        content: [{ type: 'text', text }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: input, output_tokens: output },
      };
      break;
    case 'ollama':
      body = {
        model: rec.model,
        created_at: new Date().toISOString(),
        message: { role: 'assistant', content: text },
        done: true,
        done_reason: 'stop',
        prompt_eval_count: input,
        eval_count: output,
      };
      break;
    default: {
      const never: never = rec.wire;
      throw new Error(`unknown wire ${String(never)}`);
    }
  }
  send(res, 200, JSON.stringify(body));
}

/** The token counts a reply reports: the scripted ones, or ~4 characters per token. */
function usageOf(
  rec: LlmRecordedRequest,
  text: string,
  usage: { input: number; output: number } | undefined,
): { input: number; output: number } {
  return {
    input: usage?.input ?? estimateTokens(JSON.stringify(field(rec.body, 'messages') ?? '')) + 8,
    output: usage?.output ?? Math.max(1, estimateTokens(text)),
  };
}

function errorBody(wire: LlmWire, status: number, message: string): string {
  if (wire === 'anthropic') {
    const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'api_error' : 'invalid_request_error';
    return JSON.stringify({ type: 'error', error: { type, message } });
  }
  if (wire === 'ollama') return JSON.stringify({ error: message });
  return JSON.stringify({
    error: { message, type: status === 429 ? 'rate_limit_exceeded' : 'server_error' },
  });
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    // a reply's own `content-type` (set from `headers`) wins
    ...(res.hasHeader('content-type') ? {} : { 'content-type': 'application/json' }),
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function lastUserText(body: unknown): string {
  const messages = field(body, 'messages');
  if (!Array.isArray(messages)) return '';
  for (let i = messages.length - 1; i >= 0; i--) {
    if (field(messages[i], 'role') === 'user') {
      const content = field(messages[i], 'content');
      return typeof content === 'string' ? content : JSON.stringify(content);
    }
  }
  return '';
}

function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}
