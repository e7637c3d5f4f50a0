import { connect, createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { BaseBus } from './base-bus.ts';
import type { BusOptions, Delivery } from './bus.ts';
import { type Asking, COPY, DIRECT, RequestDelivery } from './delivery.ts';
import { type BusError, InvalidArgumentError, NoRespondersError, TransportError } from './errors.ts';
import type { Message, MessageType } from './messages/catalogue.ts';
import { decodeMessage, encodeMessage } from './messages/validate.ts';
import type { Subscriber } from './subscriber.ts';

/** Options for {@link NatsBus.connect}. */
export interface NatsBusOptions extends BusOptions {
  /** NATS server URL(s), e.g. `nats://127.0.0.1:4222`. */
  servers: string | string[];
  /** First token(s) of every subject (default `orrery`): `orrery.planet.risk`. */
  prefix?: string;
  /** Connection name shown by the server. */
  name?: string;
  /** Pause between reconnect attempts, in milliseconds (default 250). Attempts never stop. */
  reconnectTimeWaitMs?: number;
  /** Messages held while disconnected, sent on reconnect; the oldest are dropped beyond (default 10 000). */
  reconnectBufferSize?: number;
  /** Limit on the first connection, in milliseconds (default 10 000). */
  connectTimeoutMs?: number;
  /**
   * A NATS queue group for this bus's direct subscriptions (mailboxes, not broadcasts): processes that
   * subscribe the same address with the same group share its messages — each request reaches one of
   * them (e.g. several `orrery planet technical` workers). Absent: every subscriber gets every message.
   */
  queue?: string;
}

interface Outgoing {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply: string | undefined;
  readonly type: MessageType;
}

const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * The bus across processes, over NATS core: one subject per address (`<prefix>.<address>`), a
 * subscription pattern maps onto NATS wildcards, requests travel with a reply subject on this bus's inbox.
 * Every message received is parsed and validated; an invalid one is counted in `metrics().invalid`,
 * reported to `onError` and dropped. Delivery is at most once: the connection survives server restarts
 * (reconnecting forever), and messages published while disconnected wait in a bounded buffer.
 */
export class NatsBus extends BaseBus {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #inbox: string;
  readonly #bufferSize: number;
  readonly #buffer: Outgoing[] = [];
  readonly #statusLoop: Promise<void>;
  #connected = true;
  readonly #queue: string | undefined;

  private constructor(nc: NatsConnection, opts: NatsBusOptions, prefix: string, bufferSize: number) {
    super(opts);
    this.#nc = nc;
    this.#prefix = prefix;
    this.#bufferSize = bufferSize;
    this.#queue = opts.queue;
    this.#inbox = createInbox();
    nc.subscribe(`${this.#inbox}.*`, { callback: (err, msg) => this.#answer(err, msg) });
    this.#statusLoop = this.#watch();
  }

  /**
   * Connects to NATS and returns a ready bus.
   * @throws InvalidArgumentError on a bad prefix, buffer size or bus option.
   * @throws TransportError when no server accepts the connection within `connectTimeoutMs`.
   */
  static async connect(opts: NatsBusOptions): Promise<NatsBus> {
    const prefix = opts.prefix ?? 'orrery';
    if (!PREFIX.test(prefix)) {
      throw new InvalidArgumentError(
        `prefix ${JSON.stringify(prefix)} is not a NATS subject without wildcards`,
        {
          argument: 'prefix',
        },
      );
    }
    const bufferSize = opts.reconnectBufferSize ?? 10_000;
    if (!Number.isInteger(bufferSize) || bufferSize < 0) {
      throw new InvalidArgumentError(`reconnectBufferSize must be an integer >= 0, got ${bufferSize}`, {
        argument: 'reconnectBufferSize',
      });
    }
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: opts.servers,
        ...(opts.name === undefined ? {} : { name: opts.name }),
        reconnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
        timeout: opts.connectTimeoutMs ?? 10_000,
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new TransportError(`could not connect to NATS at ${String(opts.servers)}: ${reason}`, {
        cause: err,
      });
    }
    try {
      return new NatsBus(nc, opts, prefix, bufferSize);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  /** False while the connection is down (messages then wait in the reconnect buffer). */
  get connected(): boolean {
    return this.#connected && !this.#nc.isClosed();
  }

  /**
   * Resolves once the server has processed everything this bus sent so far, subscriptions included:
   * after it, another process's requests reach this bus's handlers.
   * @throws TransportError when the connection is closed or the server does not answer.
   */
  async flush(): Promise<void> {
    try {
      await this.#nc.flush();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new TransportError(`flush failed: ${reason}`, { cause: err });
    }
  }

  protected send(message: Message): void {
    const data = encodeMessage(message);
    this.#out(this.#subject(message.recipient), data, undefined, message.type);
    if (message.type === 'planet.lateral') {
      this.#out(this.#subject('sun'), data, undefined, message.type);
    }
  }

  protected sendRequest(request: Asking): void {
    this.#out(
      this.#subject(request.recipient),
      encodeMessage(request),
      `${this.#inbox}.${request.id}`,
      request.type,
    );
  }

  protected attach(sub: Subscriber): () => void {
    const callback = (err: Error | null, msg: Msg) => this.#receive(sub, err, msg);
    const direct = this.#subject(sub.matcher.pattern);
    const subs = [
      this.#nc.subscribe(direct, this.#queue === undefined ? { callback } : { callback, queue: this.#queue }),
    ];
    // Broadcasts reach every process, queue group or not.
    if (sub.broadcasts && !sub.matcher.matches('broadcast'))
      subs.push(this.#nc.subscribe(this.#subject('broadcast'), { callback }));
    return () => {
      for (const s of subs) s.unsubscribe();
    };
  }

  protected async shutdown(): Promise<void> {
    this.#buffer.length = 0;
    if (this.#connected) {
      await this.#nc.drain().catch(() => this.#nc.close());
    } else {
      await this.#nc.close();
    }
    await this.#statusLoop;
  }

  protected override bufferedCount(): number {
    return this.#buffer.length;
  }

  #subject(address: string): string {
    return `${this.#prefix}.${address}`;
  }

  #out(subject: string, data: Uint8Array, reply: string | undefined, type: MessageType): void {
    if (!this.#connected) {
      // While disconnected the client discards its own outbound buffer on every dial attempt, so
      // messages wait here and go out after the subscriptions are re-sent.
      this.#buffer.push({ subject, data, reply, type });
      if (this.#buffer.length > this.#bufferSize) {
        const lost = this.#buffer.shift();
        if (lost !== undefined) this.counters.drop(lost.type);
      }
      return;
    }
    try {
      this.#nc.publish(subject, data, reply === undefined ? undefined : { reply });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.counters.drop(type);
      this.report(new TransportError(`publish to ${subject} failed: ${reason}`, { cause: err }));
    }
  }

  #decode(msg: Msg): Message | undefined {
    try {
      return decodeMessage(msg.data);
    } catch (err) {
      this.counters.invalid++;
      this.report(err as BusError);
      return undefined;
    }
  }

  #receive(sub: Subscriber, err: Error | null, msg: Msg): void {
    if (err !== null) {
      this.report(
        new TransportError(`subscription ${sub.matcher.pattern} failed: ${err.message}`, { cause: err }),
      );
      return;
    }
    const message = this.#decode(msg);
    if (message === undefined) return;
    const via = msg.subject.slice(this.#prefix.length + 1);
    let delivery: Delivery = DIRECT;
    if (message.type === 'planet.lateral' && via === 'sun') {
      // The sun's copy; a subscription that also matches the target got the original already.
      if (sub.wants(message.recipient)) return;
      delivery = COPY;
    } else if (
      (message.type === 'request' || message.type === 'sun.directive') &&
      msg.reply !== undefined &&
      msg.reply !== ''
    ) {
      const replyTo = msg.reply;
      delivery = new RequestDelivery(
        message,
        (answer) => this.#out(replyTo, encodeMessage(answer), undefined, answer.type),
        this.clock,
      );
    }
    sub.offer(message, delivery);
  }

  #answer(err: Error | null, msg: Msg): void {
    if (err !== null) return;
    const id = msg.subject.slice(this.#inbox.length + 1);
    if (msg.headers?.code === 503) {
      const address = this.pending.addressOf(id);
      if (address === undefined) return;
      this.counters.requests.noResponders++;
      this.pending.fail(id, new NoRespondersError(`no subscriber for ${address}`, { address }));
      return;
    }
    const message = this.#decode(msg);
    if (message?.type === 'reply' || message?.type === 'error' || message?.type === 'planet.report')
      this.pending.answer(message);
  }

  async #watch(): Promise<void> {
    for await (const status of this.#nc.status()) {
      if (status.type === 'disconnect') {
        this.#connected = false;
      } else if (status.type === 'reconnect') {
        this.counters.reconnects++;
        for (const o of this.#buffer.splice(0)) {
          this.#nc.publish(o.subject, o.data, o.reply === undefined ? undefined : { reply: o.reply });
        }
        this.#connected = true;
      }
    }
  }
}
