import type { MessageType } from './messages/catalogue.ts';
import type { Priority } from './messages/priority.ts';

/** One subscription's mailbox, as seen by {@link BusMetrics}. */
export interface MailboxMetrics {
  /** The address or pattern subscribed to. */
  readonly pattern: string;
  readonly capacity: number;
  /** Messages waiting now. */
  readonly depth: number;
  /** Messages waiting now, per priority. */
  readonly depthByPriority: Readonly<Record<Priority, number>>;
  /** Highest depth seen. */
  readonly maxDepth: number;
  /** Messages handed to the handler. */
  readonly delivered: number;
  /** Messages lost to overflow (`drop-oldest` evictions and `drop-newest`). */
  readonly dropped: number;
  /** Messages refused under the `reject` policy (their senders were told). */
  readonly rejected: number;
  /** Handler calls that threw or rejected. */
  readonly handlerErrors: number;
}

/** Request/reply counters of one bus (the requesting side). */
export interface RequestMetrics {
  readonly sent: number;
  readonly answered: number;
  /** Answered with an error envelope (mailbox full, handler failed…). */
  readonly failed: number;
  readonly timedOut: number;
  readonly cancelled: number;
  readonly noResponders: number;
}

/** A snapshot of a bus's counters since it was created. */
export interface BusMetrics {
  /** Messages accepted by `publish`/`broadcast` (requests and replies not included). */
  readonly published: number;
  /** Handler invocations, all subscriptions together. */
  readonly delivered: number;
  /** Messages refused by validation: on publish, or received from another process. Never delivered. */
  readonly invalid: number;
  readonly dropped: number;
  readonly rejected: number;
  readonly handlerErrors: number;
  readonly droppedByType: Readonly<Partial<Record<MessageType, number>>>;
  readonly rejectedByType: Readonly<Partial<Record<MessageType, number>>>;
  readonly requests: RequestMetrics;
  /** Times the transport reconnected (always 0 in process). */
  readonly reconnects: number;
  /** Messages held by the transport while disconnected, waiting for the reconnect. */
  readonly buffered: number;
  readonly mailboxes: readonly MailboxMetrics[];
}

/** The mutable counters behind {@link BusMetrics}; shared by a bus and its subscriptions. */
export class BusCounters {
  published = 0;
  delivered = 0;
  invalid = 0;
  dropped = 0;
  rejected = 0;
  handlerErrors = 0;
  reconnects = 0;
  readonly droppedByType: Partial<Record<MessageType, number>> = {};
  readonly rejectedByType: Partial<Record<MessageType, number>> = {};
  readonly requests = { sent: 0, answered: 0, failed: 0, timedOut: 0, cancelled: 0, noResponders: 0 };

  /** Counts a message lost to overflow. */
  drop(type: MessageType): void {
    this.dropped++;
    this.droppedByType[type] = (this.droppedByType[type] ?? 0) + 1;
  }

  /** Counts a message refused under the `reject` policy. */
  reject(type: MessageType): void {
    this.rejected++;
    this.rejectedByType[type] = (this.rejectedByType[type] ?? 0) + 1;
  }

  /** A frozen copy, with the given mailboxes and transport buffer depth. */
  snapshot(mailboxes: readonly MailboxMetrics[], buffered: number): BusMetrics {
    return {
      published: this.published,
      delivered: this.delivered,
      invalid: this.invalid,
      dropped: this.dropped,
      rejected: this.rejected,
      handlerErrors: this.handlerErrors,
      droppedByType: { ...this.droppedByType },
      rejectedByType: { ...this.rejectedByType },
      requests: { ...this.requests },
      reconnects: this.reconnects,
      buffered,
      mailboxes,
    };
  }
}
