import type { Address, AddressPattern } from './address.ts';
import type { BusClock } from './clock.ts';
import type { BusError } from './errors.ts';
import type { OverflowPolicy } from './mailbox.ts';
import type {
  BroadcastDecree,
  Message,
  MessageType,
  PlanetReport,
  ReplyMessage,
  SunDirective,
} from './messages/catalogue.ts';
import type { Json } from './messages/envelope.ts';
import type { Priority } from './messages/priority.ts';
import type { BusMetrics } from './metrics.ts';

/** How a handler sees one delivery: whether it is the sun's copy, and how to answer a request. */
export interface Delivery {
  /** True for the sun's copy of a planet-to-planet message addressed to another planet. */
  readonly copy: boolean;
  /** True when the message is a request (made with `Bus.request`) that expects an answer. */
  readonly isRequest: boolean;
  /**
   * Answers the request with a `reply` envelope (`correlationId` = the request's id). The first answer
   * wins when several subscribers receive the same request.
   * @throws NotARequestError when the message is not a request or was already answered.
   * @throws InvalidMessageError when `body` is not JSON.
   */
  reply(body: Json): void;
  /**
   * Answers a sun directive (sent with `Bus.direct`) with a `planet.report` from the directive's
   * recipient, correlated to it. The first answer wins.
   * @throws NotARequestError when the message is not a directive or was already answered.
   * @throws InvalidMessageError when the payload breaks the catalogue (e.g. a signal of 1.5).
   */
  report(payload: PlanetReport['payload']): void;
  /**
   * Answers the request with an `error` envelope; the requester's promise rejects with a `RemoteError`.
   * @throws NotARequestError when the message is not a request or was already answered.
   */
  fail(code: string, message: string): void;
}

/**
 * Handles one message. Messages of a subscription are handled one at a time: the next is not delivered
 * before the returned promise settles. A throw is counted and reported to `onError` (and answers a
 * request with an error); it never reaches the publisher.
 */
export type Handler = (message: Message, delivery: Delivery) => void | Promise<void>;

/** Ends a subscription; queued messages are dropped. Idempotent. */
export type Unsubscribe = () => void;

/** Options for {@link Bus.subscribe}. */
export interface SubscribeOptions {
  /** Mailbox capacity (messages waiting while the handler is busy). Defaults to the bus's. */
  capacity?: number;
  /** Whether decrees sent to `broadcast` reach this subscription too (default true). */
  broadcasts?: boolean;
}

/** What a caller supplies to {@link Bus.request}; the bus builds the `request` envelope. */
export interface RequestInit {
  /** Who asks; replies are addressed to it. */
  sender: Address;
  /** What is asked, e.g. `analyse`. */
  topic: string;
  body?: Json;
  priority?: Priority;
}

/** Options for {@link Bus.request}. */
export interface RequestOptions {
  /** How long to wait for the reply, in milliseconds (default: the bus's `requestTimeoutMs`). */
  timeoutMs?: number;
  /** Aborting it rejects the request with `RequestCancelledError`. */
  signal?: AbortSignal;
}

/** Options every transport accepts. */
export interface BusOptions {
  /** Stamps messages and drives request timeouts (default: the system clock). */
  clock?: BusClock;
  /** Default mailbox capacity of a subscription (default 1024). */
  mailboxCapacity?: number;
  /** Overrides of the declared overflow behaviour per message type (see `DEFAULT_OVERFLOW`). */
  overflow?: Partial<Record<MessageType, OverflowPolicy>>;
  /** Default request time limit in milliseconds (default 5000). */
  requestTimeoutMs?: number;
  /**
   * Receives failures that have no caller to throw to: invalid incoming messages, handler errors,
   * transport failures. They are counted in `metrics()` either way; by default nothing else happens.
   */
  onError?: (error: BusError) => void;
}

/**
 * Orrery's message bus: typed messages between the sun, planets and moons, through bounded priority
 * mailboxes. Implemented in process by `LocalBus` and across processes by `NatsBus`; both pass one
 * behavioural contract.
 */
export interface Bus {
  /** True after `close()`. */
  readonly closed: boolean;
  /**
   * Sends a message to its `recipient` (a `planet.lateral` also goes to the sun as a copy).
   * Fire-and-forget: overflow is reported to the sender as an `error` envelope.
   * @throws InvalidMessageError (counted in `metrics().invalid`) when the message breaks the catalogue.
   * @throws BusClosedError after `close()`.
   */
  publish(message: Message): void;
  /**
   * Delivers messages addressed to `target` (an address, or a pattern such as `planet.*`) to `handler`.
   * @throws InvalidAddressError on a malformed pattern; BusClosedError after `close()`.
   */
  subscribe(target: AddressPattern, handler: Handler, opts?: SubscribeOptions): Unsubscribe;
  /**
   * Sends a request to `to` and resolves with the first reply.
   * Rejects with RequestTimeoutError, RequestCancelledError, NoRespondersError, MailboxFullError (the
   * responder's mailbox refused it), RemoteError (it answered with an error) or BusClosedError.
   */
  request(to: Address, init: RequestInit, opts?: RequestOptions): Promise<ReplyMessage>;
  /**
   * Sends a `sun.directive` to a planet and resolves with the `planet.report` that answers it (the
   * planet's handler calls `delivery.report`). Request/reply with typed messages on both ends: the same
   * time limit, cancellation and failures as {@link Bus.request}.
   * @throws (as a rejection) what `request` rejects with; InvalidMessageError for a bad payload.
   */
  direct(
    to: `planet.${string}`,
    payload: SunDirective['payload'],
    opts?: RequestOptions & { priority?: Priority },
  ): Promise<PlanetReport>;
  /**
   * Sends the sun's decree to every subscription that accepts broadcasts; returns the message sent.
   * @throws InvalidMessageError, BusClosedError.
   */
  broadcast(
    payload: BroadcastDecree['payload'],
    opts?: { priority?: Priority; correlationId?: string },
  ): BroadcastDecree;
  /** A snapshot of the counters, and each mailbox's depth. */
  metrics(): BusMetrics;
  /** Stops delivery, rejects pending requests with BusClosedError and releases the transport. Idempotent. */
  close(): Promise<void>;
}
