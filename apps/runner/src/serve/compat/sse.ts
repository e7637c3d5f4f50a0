import type { FastifyReply } from 'fastify';

/**
 * A server-sent events answer on a hijacked Fastify reply: `open` writes the 200 head, `data` one
 * `data: <json>` event (with `event:` for the Anthropic wire), `end` closes. Writes after the client went
 * away are dropped.
 */
export class SseStream {
  readonly #reply: FastifyReply;
  #open = false;

  constructor(reply: FastifyReply) {
    this.#reply = reply;
  }

  /** True once the head is written. */
  get opened(): boolean {
    return this.#open;
  }

  /** Takes the reply over from Fastify and writes the 200 head with `headers`. */
  open(headers: Record<string, string> = {}): void {
    if (this.#open) return;
    this.#open = true;
    this.#reply.hijack();
    this.#reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers,
    });
    this.#reply.raw.flushHeaders();
  }

  /** Writes one event; `event` names it (Anthropic), otherwise it is a bare `data:` line (OpenAI). */
  data(payload: unknown, event?: string): void {
    const raw = this.#reply.raw;
    if (raw.destroyed || raw.writableEnded) return;
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
    raw.write(event === undefined ? `data: ${body}\n\n` : `event: ${event}\ndata: ${body}\n\n`);
  }

  /** Ends the answer. */
  end(): void {
    const raw = this.#reply.raw;
    if (!raw.writableEnded) raw.end();
  }
}
