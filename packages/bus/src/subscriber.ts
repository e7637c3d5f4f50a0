import type { AddressMatcher } from './address.ts';
import type { Delivery, Handler } from './bus.ts';
import { RequestDelivery } from './delivery.ts';
import { BusErrorCode, HandlerFailedError } from './errors.ts';
import { Mailbox, type OverflowPolicy } from './mailbox.ts';
import type { Message, MessageType } from './messages/catalogue.ts';
import type { BusCounters, MailboxMetrics } from './metrics.ts';

interface Entry {
  readonly message: Message;
  readonly delivery: Delivery;
}

/** What a subscriber needs from its bus. */
export interface SubscriberHost {
  readonly counters: BusCounters;
  readonly overflow: Readonly<Record<MessageType, OverflowPolicy>>;
  /** A `reject` policy refused a message that is not a request: tell its sender. */
  onRejected(message: Message, reason: string): void;
  /** A handler failed. */
  onHandlerError(error: HandlerFailedError): void;
}

const messageType = (e: Entry): string => e.message.type;

/**
 * One subscription: a mailbox and the loop that feeds its handler one message at a time.
 * An idle subscriber with an empty mailbox runs the handler at once; while it is busy (inside a handler,
 * or awaiting one) messages queue by priority. Invariant: not busy ⇒ mailbox empty.
 */
export class Subscriber {
  readonly #mailbox: Mailbox<Entry>;
  #busy = false;
  #closed = false;
  #maxDepth = 0;
  #delivered = 0;
  #dropped = 0;
  #rejected = 0;
  #handlerErrors = 0;

  constructor(
    readonly matcher: AddressMatcher,
    readonly broadcasts: boolean,
    private readonly handler: Handler,
    capacity: number,
    private readonly host: SubscriberHost,
  ) {
    this.#mailbox = new Mailbox(capacity, messageType);
  }

  /** True when a message for `address` belongs to this subscription. */
  wants(address: string): boolean {
    return this.matcher.matches(address) || (this.broadcasts && address === 'broadcast');
  }

  /** Hands a message over: straight to the handler when idle, else into the mailbox. */
  offer(message: Message, delivery: Delivery): void {
    if (this.#closed) return;
    if (!this.#busy) {
      this.#run(message, delivery);
      return;
    }
    const result = this.#mailbox.push(
      { message, delivery },
      message.priority,
      this.host.overflow[message.type],
    );
    switch (result.outcome) {
      case 'queued':
        if (this.#mailbox.size > this.#maxDepth) this.#maxDepth = this.#mailbox.size;
        return;
      case 'evicted':
        this.#dropped++;
        this.host.counters.drop(result.evicted.message.type);
        return;
      case 'dropped':
        this.#dropped++;
        this.host.counters.drop(message.type);
        return;
      case 'rejected':
        this.#rejected++;
        this.host.counters.reject(message.type);
        this.#refuse(message, delivery);
        return;
      default: {
        const never: never = result;
        throw new TypeError(`unknown push outcome ${JSON.stringify(never)}`);
      }
    }
  }

  /** Stops delivery and drops whatever is queued (counted as dropped). */
  close(): void {
    this.#closed = true;
    for (const e of this.#mailbox.clear()) {
      this.#dropped++;
      this.host.counters.drop(e.message.type);
    }
  }

  /** This subscription's mailbox figures. */
  metrics(): MailboxMetrics {
    return {
      pattern: this.matcher.pattern,
      capacity: this.#mailbox.capacity,
      depth: this.#mailbox.size,
      depthByPriority: this.#mailbox.depths(),
      maxDepth: this.#maxDepth,
      delivered: this.#delivered,
      dropped: this.#dropped,
      rejected: this.#rejected,
      handlerErrors: this.#handlerErrors,
    };
  }

  #refuse(message: Message, delivery: Delivery): void {
    const text = `mailbox of ${this.matcher.pattern} is full (capacity ${this.#mailbox.capacity}); ${message.type} ${message.id} from ${message.sender} refused`;
    if (delivery instanceof RequestDelivery) {
      if (!delivery.answered) delivery.fail(BusErrorCode.MAILBOX_FULL, text);
    } else {
      this.host.onRejected(message, text);
    }
  }

  #run(first: Message, firstDelivery: Delivery): void {
    this.#busy = true;
    let message = first;
    let delivery = firstDelivery;
    for (;;) {
      let result: Promise<void> | undefined;
      this.#delivered++;
      this.host.counters.delivered++;
      try {
        result = this.handler(message, delivery) as Promise<void> | undefined;
      } catch (err) {
        this.#failed(message, delivery, err);
      }
      if (result !== undefined && typeof result.then === 'function') {
        const m = message;
        const d = delivery;
        result.then(
          () => this.#next(),
          (err: unknown) => {
            this.#failed(m, d, err);
            this.#next();
          },
        );
        return;
      }
      const entry = this.#closed ? undefined : this.#mailbox.shift();
      if (entry === undefined) break;
      message = entry.message;
      delivery = entry.delivery;
    }
    this.#busy = false;
  }

  #next(): void {
    const entry = this.#closed ? undefined : this.#mailbox.shift();
    if (entry === undefined) {
      this.#busy = false;
      return;
    }
    this.#run(entry.message, entry.delivery);
  }

  #failed(message: Message, delivery: Delivery, err: unknown): void {
    this.#handlerErrors++;
    this.host.counters.handlerErrors++;
    const reason = err instanceof Error ? err.message : String(err);
    const error = new HandlerFailedError(
      `handler of ${this.matcher.pattern} failed on ${message.type} ${message.id}: ${reason}`,
      { pattern: this.matcher.pattern, cause: err },
    );
    if (delivery instanceof RequestDelivery && !delivery.answered) {
      delivery.fail(BusErrorCode.HANDLER_FAILED, error.message);
    }
    this.host.onHandlerError(error);
  }
}
