import type { Delivery } from './bus.ts';
import { NotARequestError } from './errors.ts';
import type { ErrorMessage, ReplyMessage, RequestMessage } from './messages/catalogue.ts';
import { createMessage } from './messages/create.ts';
import type { Json } from './messages/envelope.ts';

/** The delivery of anything that is not a request: nothing to answer. */
export class PlainDelivery implements Delivery {
  readonly isRequest = false;
  constructor(readonly copy: boolean) {}

  reply(): void {
    throw new NotARequestError('reply(): this message is not a request; publish a message instead');
  }

  fail(): void {
    throw new NotARequestError('fail(): this message is not a request; publish an error message instead');
  }
}

/** Shared, allocation-free deliveries for the common case. */
export const DIRECT = new PlainDelivery(false);
/** The sun's copy of a planet-to-planet message. */
export const COPY = new PlainDelivery(true);

/** The delivery of a request: answers go back through `send` (a NATS reply subject, or the local waiter). */
export class RequestDelivery implements Delivery {
  readonly isRequest = true;
  readonly copy = false;
  #answered = false;

  constructor(
    readonly request: RequestMessage,
    private readonly send: (answer: ReplyMessage | ErrorMessage) => void,
    private readonly clock: { now(): number },
  ) {}

  /** True once `reply` or `fail` was called. */
  get answered(): boolean {
    return this.#answered;
  }

  reply(body: Json): void {
    this.#guard('reply');
    const answer = createMessage('reply', { ...this.#route(), payload: { body } }, { clock: this.clock });
    this.#answered = true;
    this.send(answer);
  }

  fail(code: string, message: string): void {
    this.#guard('fail');
    const answer = createMessage(
      'error',
      { ...this.#route(), payload: { code, message: message.slice(0, 4000) } },
      { clock: this.clock },
    );
    this.#answered = true;
    this.send(answer);
  }

  #guard(what: string): void {
    if (this.#answered) {
      throw new NotARequestError(`${what}(): request ${this.request.id} was already answered`);
    }
  }

  #route() {
    const r = this.request;
    return { sender: r.recipient, recipient: r.sender, correlationId: r.id, priority: r.priority };
  }
}
