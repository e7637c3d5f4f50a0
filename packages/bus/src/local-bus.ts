import { EventEmitter } from 'eventemitter3';
import { BaseBus } from './base-bus.ts';
import type { BusOptions, Delivery } from './bus.ts';
import { type Asking, COPY, DIRECT, RequestDelivery } from './delivery.ts';
import { NoRespondersError } from './errors.ts';
import type { Message } from './messages/catalogue.ts';
import type { Subscriber } from './subscriber.ts';

type Listener = (message: Message, delivery: Delivery) => void;

/** The one listener, called with a subscriber as `this` (eventemitter3's context: no closure per wire). */
function deliver(this: Subscriber, message: Message, delivery: Delivery): void {
  // The sun's copy of a lateral message is skipped by a subscription that already got the original.
  if (delivery === COPY && this.wants(message.recipient)) return;
  this.offer(message, delivery);
}

/**
 * The in-process bus (the default). Messages are not copied or re-validated: a message is validated
 * once, when built with `createMessage` (or on its first publish), and frozen.
 *
 * Routing: one eventemitter3 event per concrete address. A pattern subscription is wired to each
 * concrete address it matches the first time that address is used, so publishing costs one `emit`.
 * A subscriber that is idle receives the message synchronously, inside `publish`.
 */
export class LocalBus extends BaseBus {
  readonly #emitter = new EventEmitter<Record<string, Listener>>();
  readonly #known = new Set<string>();
  readonly #wired = new Map<Subscriber, Set<string>>();

  /** @throws InvalidArgumentError on a mailbox capacity or timeout below 1. */
  constructor(opts: BusOptions = {}) {
    super(opts);
  }

  protected send(message: Message): void {
    const to = message.recipient;
    // emit() answers false when nobody listens: only then can the address be new.
    if (!this.#emitter.emit(to, message, DIRECT) && !this.#known.has(to)) {
      this.#learn(to);
      this.#emitter.emit(to, message, DIRECT);
    }
    if (message.type === 'planet.lateral') {
      if (!this.#known.has('sun')) this.#learn('sun');
      this.#emitter.emit('sun', message, COPY);
    }
  }

  protected sendRequest(request: Asking): void {
    const to = request.recipient;
    if (!this.#known.has(to)) this.#learn(to);
    if (this.#emitter.listenerCount(to) === 0) {
      this.counters.requests.noResponders++;
      this.pending.fail(
        request.id,
        new NoRespondersError(
          `no subscriber for ${to} (${request.type === 'request' ? request.payload.topic : request.payload.task})`,
          { address: to },
        ),
      );
      return;
    }
    const delivery = new RequestDelivery(request, (answer) => this.pending.answer(answer), this.clock);
    this.#emitter.emit(to, request, delivery);
  }

  protected attach(sub: Subscriber): () => void {
    const wired = new Set<string>();
    this.#wired.set(sub, wired);
    // A new concrete address is learnt: the pattern subscriptions made before this one that want it are
    // wired to it too (they would otherwise miss it, as its first publish finds a listener).
    const exact = !sub.matcher.pattern.includes('*') && !sub.matcher.pattern.includes('>');
    if (exact && !this.#known.has(sub.matcher.pattern)) this.#learn(sub.matcher.pattern);
    if (sub.broadcasts && !this.#known.has('broadcast')) this.#learn('broadcast');
    for (const address of this.#known) {
      if (sub.wants(address)) this.#wire(address, sub, wired);
    }
    return () => {
      for (const address of wired) this.#emitter.removeListener(address, deliver, sub);
      this.#wired.delete(sub);
    };
  }

  protected async shutdown(): Promise<void> {
    this.#emitter.removeAllListeners();
    this.#wired.clear();
  }

  /** First use of an address: wire every subscription that wants it. */
  #learn(address: string): void {
    this.#known.add(address);
    for (const [sub, wired] of this.#wired) {
      if (sub.wants(address)) this.#wire(address, sub, wired);
    }
  }

  #wire(address: string, sub: Subscriber, wired: Set<string>): void {
    if (wired.has(address)) return;
    wired.add(address);
    this.#emitter.on(address, deliver, sub);
  }
}
