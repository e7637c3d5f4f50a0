import type { Delivery } from './bus.ts';
import { NotARequestError } from './errors.ts';
import type {
  ErrorMessage,
  PlanetReport,
  ReplyMessage,
  RequestMessage,
  SunDirective,
} from './messages/catalogue.ts';
import { createMessage } from './messages/create.ts';
import type { Json } from './messages/envelope.ts';

/** The delivery of anything that is not a request: nothing to answer. */
export class PlainDelivery implements Delivery {
  readonly isRequest = false;
  constructor(readonly copy: boolean) {}

  reply(): void {
    throw new NotARequestError('reply(): this message is not a request; publish a message instead');
  }

  report(): void {
    throw new NotARequestError('report(): this message is not a directive; publish a planet.report instead');
  }

  fail(): void {
    throw new NotARequestError('fail(): this message is not a request; publish an error message instead');
  }
}

/** Shared, allocation-free deliveries for the common case. */
export const DIRECT = new PlainDelivery(false);
/** The sun's copy of a planet-to-planet message. */
export const COPY = new PlainDelivery(true);

/** What a request delivery answers: a `request` (with `reply`) or a `sun.directive` (with `report`). */
export type Asking = RequestMessage | SunDirective;

/** What answers an {@link Asking} message. */
export type Answer = ReplyMessage | ErrorMessage | PlanetReport;

/**
 * The delivery of a request or directive: answers go back through `send` (a NATS reply subject, or the
 * local waiter).
 */
export class RequestDelivery implements Delivery {
  readonly isRequest = true;
  readonly copy = false;
  #answered = false;

  constructor(
    readonly request: Asking,
    private readonly send: (answer: Answer) => void,
    private readonly clock: { now(): number },
  ) {}

  /** True once `reply` or `fail` was called. */
  get answered(): boolean {
    return this.#answered;
  }

  reply(body: Json): void {
    this.#guard('reply');
    if (this.request.type !== 'request') {
      throw new NotARequestError('reply(): a directive is answered with report()');
    }
    const answer = createMessage('reply', { ...this.#route(), payload: { body } }, { clock: this.clock });
    this.#answered = true;
    this.send(answer);
  }

  report(payload: PlanetReport['payload']): void {
    this.#guard('report');
    const r = this.request;
    if (r.type !== 'sun.directive' || !r.recipient.startsWith('planet.')) {
      throw new NotARequestError('report(): only a directive to a planet is answered with a report');
    }
    const answer = createMessage(
      'planet.report',
      {
        sender: r.recipient as PlanetReport['sender'],
        recipient: r.sender,
        correlationId: r.id,
        priority: r.priority,
        payload,
      },
      { clock: this.clock },
    );
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
