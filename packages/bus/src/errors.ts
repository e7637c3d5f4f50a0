import { OrreryError } from '@orrery/errors';

/**
 * Every failure of the bus is a {@link BusError} with a stable `code` that callers can switch on.
 * The underlying failure (a zod error, a NATS error, a router's exception) travels as `cause`.
 */
export const BusErrorCode = {
  INVALID_MESSAGE: 'ORRERY_BUS_INVALID_MESSAGE',
  INVALID_ADDRESS: 'ORRERY_BUS_INVALID_ADDRESS',
  INVALID_ARGUMENT: 'ORRERY_BUS_INVALID_ARGUMENT',
  MAILBOX_FULL: 'ORRERY_BUS_MAILBOX_FULL',
  REQUEST_TIMEOUT: 'ORRERY_BUS_REQUEST_TIMEOUT',
  REQUEST_CANCELLED: 'ORRERY_BUS_REQUEST_CANCELLED',
  NO_RESPONDERS: 'ORRERY_BUS_NO_RESPONDERS',
  REMOTE: 'ORRERY_BUS_REMOTE',
  NOT_A_REQUEST: 'ORRERY_BUS_NOT_A_REQUEST',
  CLOSED: 'ORRERY_BUS_CLOSED',
  TRANSPORT: 'ORRERY_BUS_TRANSPORT',
  HANDLER_FAILED: 'ORRERY_BUS_HANDLER_FAILED',
  INVALID_ROUTING_TREE: 'ORRERY_BUS_INVALID_ROUTING_TREE',
  ROUTER_FAILED: 'ORRERY_BUS_ROUTER_FAILED',
} as const;

/** One of {@link BusErrorCode}'s values. */
export type BusErrorCode = (typeof BusErrorCode)[keyof typeof BusErrorCode];

/** Where a value broke a schema: the path into it and what was wrong. */
export interface SchemaIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** Base of every bus error. `instanceof` works across duplicate copies of the package. */
export class BusError extends OrreryError<BusErrorCode> {
  static override readonly brand: string = 'orrery.bus.BusError';
}

/** A message (or a raw payload received from another process) does not match the catalogue. */
export class InvalidMessageError extends BusError {
  /** Where the value broke the schema. Empty when it was not even JSON. */
  readonly issues: readonly SchemaIssue[];

  constructor(message: string, opts: ErrorOptions & { issues?: readonly SchemaIssue[] } = {}) {
    super(BusErrorCode.INVALID_MESSAGE, message, opts);
    this.name = 'InvalidMessageError';
    this.issues = opts.issues ?? [];
  }
}

/** A string is not a valid address or address pattern. */
export class InvalidAddressError extends BusError {
  /** The offending value. */
  readonly value: string;

  constructor(message: string, opts: ErrorOptions & { value: string }) {
    super(BusErrorCode.INVALID_ADDRESS, message, opts);
    this.name = 'InvalidAddressError';
    this.value = opts.value;
  }
}

/** An option is out of range (a mailbox capacity of 0, a negative timeout…). */
export class InvalidArgumentError extends BusError {
  /** The option's name, e.g. `timeoutMs`. */
  readonly argument: string;

  constructor(message: string, opts: ErrorOptions & { argument: string }) {
    super(BusErrorCode.INVALID_ARGUMENT, message, opts);
    this.name = 'InvalidArgumentError';
    this.argument = opts.argument;
  }
}

/** The recipient's mailbox was full and the message type's overflow policy is `reject`. */
export class MailboxFullError extends BusError {
  /** The address whose mailbox refused the message. */
  readonly address: string;

  constructor(message: string, opts: ErrorOptions & { address: string }) {
    super(BusErrorCode.MAILBOX_FULL, message, opts);
    this.name = 'MailboxFullError';
    this.address = opts.address;
  }
}

/** No reply arrived within the request's time limit. */
export class RequestTimeoutError extends BusError {
  /** The address the request went to. */
  readonly address: string;
  /** The limit that expired, in milliseconds. */
  readonly timeoutMs: number;

  constructor(message: string, opts: ErrorOptions & { address: string; timeoutMs: number }) {
    super(BusErrorCode.REQUEST_TIMEOUT, message, opts);
    this.name = 'RequestTimeoutError';
    this.address = opts.address;
    this.timeoutMs = opts.timeoutMs;
  }
}

/** The caller's `AbortSignal` fired before a reply arrived; its `reason` is the `cause`. */
export class RequestCancelledError extends BusError {
  readonly address: string;

  constructor(message: string, opts: ErrorOptions & { address: string }) {
    super(BusErrorCode.REQUEST_CANCELLED, message, opts);
    this.name = 'RequestCancelledError';
    this.address = opts.address;
  }
}

/** Nobody was subscribed to the address a request went to. */
export class NoRespondersError extends BusError {
  readonly address: string;

  constructor(message: string, opts: ErrorOptions & { address: string }) {
    super(BusErrorCode.NO_RESPONDERS, message, opts);
    this.name = 'NoRespondersError';
    this.address = opts.address;
  }
}

/** The responder answered a request with an `error` envelope (e.g. its handler threw). */
export class RemoteError extends BusError {
  /** The code the responder sent (a {@link BusErrorCode} or the responder's own). */
  readonly remoteCode: string;
  /** The address that answered. */
  readonly address: string;

  constructor(message: string, opts: ErrorOptions & { remoteCode: string; address: string }) {
    super(BusErrorCode.REMOTE, message, opts);
    this.name = 'RemoteError';
    this.remoteCode = opts.remoteCode;
    this.address = opts.address;
  }
}

/** `reply()` was called on a delivery that is not a request (or was already answered). */
export class NotARequestError extends BusError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super(BusErrorCode.NOT_A_REQUEST, message, opts);
    this.name = 'NotARequestError';
  }
}

/** The bus was closed; nothing more can be published, and pending requests were abandoned. */
export class BusClosedError extends BusError {
  constructor(message = 'the bus is closed', opts: ErrorOptions = {}) {
    super(BusErrorCode.CLOSED, message, opts);
    this.name = 'BusClosedError';
  }
}

/** The transport failed (e.g. could not connect to the NATS servers). */
export class TransportError extends BusError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super(BusErrorCode.TRANSPORT, message, opts);
    this.name = 'TransportError';
  }
}

/** A subscriber's handler threw or rejected; reported through `onError`, never to the publisher. */
export class HandlerFailedError extends BusError {
  /** The subscription's address or pattern. */
  readonly pattern: string;

  constructor(message: string, opts: ErrorOptions & { pattern: string }) {
    super(BusErrorCode.HANDLER_FAILED, message, opts);
    this.name = 'HandlerFailedError';
    this.pattern = opts.pattern;
  }
}

/** A routing-tree description is malformed. */
export class RoutingTreeError extends BusError {
  /** Where in the description, e.g. `analysis.left.router`. */
  readonly at: string;

  constructor(message: string, opts: ErrorOptions & { at: string }) {
    super(BusErrorCode.INVALID_ROUTING_TREE, message, opts);
    this.name = 'RoutingTreeError';
    this.at = opts.at;
  }
}

/** A node's router threw, or answered something other than left, right or both. */
export class RouterFailedError extends BusError {
  /** The inner node whose router failed. */
  readonly node: string;

  constructor(message: string, opts: ErrorOptions & { node: string }) {
    super(BusErrorCode.ROUTER_FAILED, message, opts);
    this.name = 'RouterFailedError';
    this.node = opts.node;
  }
}
