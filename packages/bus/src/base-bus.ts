import { type Address, type AddressPattern, compilePattern } from './address.ts';
import type {
  Bus,
  BusOptions,
  Handler,
  RequestInit,
  RequestOptions,
  SubscribeOptions,
  Unsubscribe,
} from './bus.ts';
import { type BusClock, systemBusClock } from './clock.ts';
import type { Asking } from './delivery.ts';
import {
  BusClosedError,
  type BusError,
  BusErrorCode,
  InvalidArgumentError,
  RequestCancelledError,
} from './errors.ts';
import { DEFAULT_OVERFLOW, type OverflowPolicy } from './mailbox.ts';
import type {
  BroadcastDecree,
  Message,
  MessageType,
  PlanetReport,
  ReplyMessage,
  SunDirective,
} from './messages/catalogue.ts';
import { createDecree } from './messages/checked.ts';
import { createMessage } from './messages/create.ts';
import type { Priority } from './messages/priority.ts';
import { isValidated, parseMessage } from './messages/validate.ts';
import { BusCounters, type BusMetrics } from './metrics.ts';
import { PendingRequests } from './pending.ts';
import { Subscriber, type SubscriberHost } from './subscriber.ts';

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be an integer >= 1, got ${value}`, { argument: name });
  }
  return value;
}

/**
 * What both transports share: validation, subscriptions and their mailboxes, request bookkeeping,
 * overflow replies, metrics. A transport supplies only how messages move.
 */
export abstract class BaseBus implements Bus, SubscriberHost {
  readonly counters: BusCounters = new BusCounters();
  readonly overflow: Readonly<Record<MessageType, OverflowPolicy>>;
  protected readonly clock: BusClock;
  protected readonly pending: PendingRequests;
  protected readonly subscribers = new Set<Subscriber>();
  readonly #capacity: number;
  readonly #timeoutMs: number;
  readonly #onError: (error: BusError) => void;
  #closed = false;

  constructor(opts: BusOptions = {}) {
    this.clock = opts.clock ?? systemBusClock;
    this.overflow = { ...DEFAULT_OVERFLOW, ...opts.overflow };
    this.#capacity = positiveInt('mailboxCapacity', opts.mailboxCapacity ?? 1024);
    this.#timeoutMs = positiveInt('requestTimeoutMs', opts.requestTimeoutMs ?? 5000);
    this.#onError = opts.onError ?? (() => {});
    this.pending = new PendingRequests(this.clock, this.counters);
  }

  /** True after `close()`. */
  get closed(): boolean {
    return this.#closed;
  }

  publish(message: Message): void {
    if (this.#closed) throw new BusClosedError();
    const m = isValidated(message) ? message : this.validate(message);
    this.counters.published++;
    this.send(m);
  }

  subscribe(target: AddressPattern, handler: Handler, opts: SubscribeOptions = {}): Unsubscribe {
    this.#assertOpen();
    const matcher = compilePattern(target);
    const capacity = positiveInt('capacity', opts.capacity ?? this.#capacity);
    const sub = new Subscriber(matcher, opts.broadcasts ?? true, handler, capacity, this);
    this.subscribers.add(sub);
    const detach = this.attach(sub);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.subscribers.delete(sub);
      sub.close();
      detach();
    };
  }

  request(to: Address, init: RequestInit, opts: RequestOptions = {}): Promise<ReplyMessage> {
    return this.#ask(
      () =>
        createMessage(
          'request',
          {
            sender: init.sender,
            recipient: to,
            payload: { topic: init.topic, body: init.body ?? null },
            ...(init.priority === undefined ? {} : { priority: init.priority }),
          },
          { clock: this.clock },
        ),
      opts,
    ) as Promise<ReplyMessage>;
  }

  direct(
    to: `planet.${string}`,
    payload: SunDirective['payload'],
    opts: RequestOptions & { priority?: Priority } = {},
  ): Promise<PlanetReport> {
    return this.#ask(
      () =>
        createMessage(
          'sun.directive',
          {
            sender: 'sun',
            recipient: to,
            payload,
            ...(opts.priority === undefined ? {} : { priority: opts.priority }),
          },
          { clock: this.clock },
        ),
      opts,
    ) as Promise<PlanetReport>;
  }

  /** Builds a request or directive, registers its waiter, sends it; every failure is a rejection. */
  #ask(build: () => Asking, opts: RequestOptions): Promise<unknown> {
    try {
      this.#assertOpen();
      const timeoutMs = positiveInt('timeoutMs', opts.timeoutMs ?? this.#timeoutMs);
      const request = build();
      if (opts.signal?.aborted === true) {
        this.counters.requests.cancelled++;
        const label = request.type === 'request' ? request.payload.topic : request.payload.task;
        throw new RequestCancelledError(
          `request ${label} to ${request.recipient} was cancelled before it was sent`,
          { address: request.recipient, cause: opts.signal.reason },
        );
      }
      const answer = this.pending.wait(request, timeoutMs, opts.signal);
      this.sendRequest(request);
      return answer;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  broadcast(
    payload: BroadcastDecree['payload'],
    opts: { priority?: Priority; correlationId?: string } = {},
  ): BroadcastDecree {
    this.#assertOpen();
    const decree = createDecree(
      { sender: 'sun', recipient: 'broadcast', payload, ...opts },
      { clock: this.clock },
    );
    this.publish(decree);
    return decree;
  }

  metrics(): BusMetrics {
    return this.counters.snapshot(
      [...this.subscribers].map((s) => s.metrics()),
      this.bufferedCount(),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.pending.failAll(new BusClosedError('the bus was closed before the reply arrived'));
    for (const sub of this.subscribers) sub.close();
    this.subscribers.clear();
    await this.shutdown();
  }

  /** Subscriber host: tells the sender its message was refused by a full mailbox. */
  onRejected(message: Message, reason: string): void {
    if (this.#closed || message.type === 'error') return;
    const notice = createMessage(
      'error',
      {
        sender: message.recipient,
        recipient: message.sender,
        correlationId: message.id,
        payload: { code: BusErrorCode.MAILBOX_FULL, message: reason },
      },
      { clock: this.clock },
    );
    this.send(notice);
  }

  /** Subscriber host: a handler failed. */
  onHandlerError(error: BusError): void {
    this.report(error);
  }

  /** Passes an error nobody can catch to `onError`, shielding the bus from a throwing callback. */
  protected report(error: BusError): void {
    try {
      this.#onError(error);
    } catch {
      // The error callback's own failure has nowhere left to go.
    }
  }

  /**
   * Validates a value from outside, counting a failure in `metrics().invalid`.
   * @throws InvalidMessageError.
   */
  protected validate(value: unknown): Message {
    try {
      return parseMessage(value);
    } catch (err) {
      this.counters.invalid++;
      throw err;
    }
  }

  /** Moves a validated message to its recipient (and a lateral's copy to the sun). */
  protected abstract send(message: Message): void;
  /** Moves a request or directive to its recipient; the answer must reach `this.pending.answer`. */
  protected abstract sendRequest(request: Asking): void;
  /** Starts feeding `sub`; returns how to stop. */
  protected abstract attach(sub: Subscriber): () => void;
  /** Releases the transport. */
  protected abstract shutdown(): Promise<void>;

  /** Messages the transport holds while disconnected. */
  protected bufferedCount(): number {
    return 0;
  }

  #assertOpen(): void {
    if (this.#closed) throw new BusClosedError();
  }
}
