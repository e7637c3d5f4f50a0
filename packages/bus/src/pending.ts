import type { BusClock } from './clock.ts';
import type { Answer, Asking } from './delivery.ts';
import {
  type BusError,
  BusErrorCode,
  MailboxFullError,
  RemoteError,
  RequestCancelledError,
  RequestTimeoutError,
} from './errors.ts';
import type { BusCounters } from './metrics.ts';

/** What a request is called in errors: its topic, or a directive's task. */
const labelOf = (m: Asking): string => (m.type === 'request' ? m.payload.topic : m.payload.task);

interface Waiter {
  readonly address: string;
  /** The answer type that resolves it (`reply` or `planet.report`). */
  readonly expects: Answer['type'];
  resolve(reply: Answer): void;
  reject(error: BusError): void;
  cleanup(): void;
}

/** Requests awaiting their answer, keyed by request id; owns their timers and abort listeners. */
export class PendingRequests {
  readonly #waiting = new Map<string, Waiter>();

  constructor(
    private readonly clock: BusClock,
    private readonly counters: BusCounters,
  ) {}

  /** Requests still waiting. */
  get size(): number {
    return this.#waiting.size;
  }

  /** The address a waiting request went to; `undefined` when `id` is not waiting. */
  addressOf(id: string): string | undefined {
    return this.#waiting.get(id)?.address;
  }

  /**
   * Registers a request before it is sent; the promise settles on the answer, the timeout or the abort.
   * The caller must have checked `signal.aborted` first.
   */
  wait(request: Asking, timeoutMs: number, signal: AbortSignal | undefined): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const id = request.id;
      const address = request.recipient;
      const label = labelOf(request);
      const cancelTimer = this.clock.setTimer(timeoutMs, () => {
        this.counters.requests.timedOut++;
        this.fail(
          id,
          new RequestTimeoutError(`no reply from ${address} to ${label} within ${timeoutMs} ms`, {
            address,
            timeoutMs,
          }),
        );
      });
      const onAbort = (): void => {
        this.counters.requests.cancelled++;
        this.fail(
          id,
          new RequestCancelledError(`request ${label} to ${address} was cancelled`, {
            address,
            cause: signal?.reason,
          }),
        );
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.set(id, {
        address,
        expects: request.type === 'request' ? 'reply' : 'planet.report',
        resolve,
        reject,
        cleanup() {
          cancelTimer();
          signal?.removeEventListener('abort', onAbort);
        },
      });
      this.counters.requests.sent++;
    });
  }

  /** Settles the request an answer correlates with; answers to unknown or settled requests are ignored. */
  answer(message: Answer): void {
    const waiter = this.#waiting.get(message.correlationId);
    if (waiter === undefined) return;
    if (message.type !== 'error' && message.type !== waiter.expects) return; // not an answer to it
    this.#take(message.correlationId);
    if (message.type !== 'error') {
      this.counters.requests.answered++;
      waiter.resolve(message);
      return;
    }
    this.counters.requests.failed++;
    const { code, message: text } = message.payload;
    waiter.reject(
      code === BusErrorCode.MAILBOX_FULL
        ? new MailboxFullError(text, { address: message.sender })
        : new RemoteError(`${message.sender} answered ${code}: ${text}`, {
            remoteCode: code,
            address: message.sender,
          }),
    );
  }

  /** Rejects one waiting request. */
  fail(id: string, error: BusError): void {
    this.#take(id)?.reject(error);
  }

  /** Rejects every waiting request (on close). */
  failAll(error: BusError): void {
    for (const id of [...this.#waiting.keys()]) this.fail(id, error);
  }

  #take(id: string): Waiter | undefined {
    const waiter = this.#waiting.get(id);
    if (waiter === undefined) return undefined;
    this.#waiting.delete(id);
    waiter.cleanup();
    return waiter;
  }
}
