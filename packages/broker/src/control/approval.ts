import type { DecisionLike } from './decision.ts';

/** Where a parked decision stands. */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'superseded';

/**
 * A decision the agents took that changes a position by more than the approval threshold: it is not
 * traded until a person approves it (then it trades at the next boundary), and is dropped when rejected,
 * when it waited `expireBars` bars, or when a newer decision in the same symbol replaces it.
 */
export interface Approval {
  /** `A1`, `A2`… within the run. */
  id: string;
  runId: string;
  symbol: string;
  /** Bar time of the decision. */
  time: number;
  /** When it was parked, epoch ms (wall clock). */
  createdAt: number;
  decision: DecisionLike;
  /** Position held when it was parked, signed fraction of equity. */
  current: number;
  /** |target − current|, fraction of equity. */
  size: number;
  threshold: number;
  status: ApprovalStatus;
  /** Steps the run has traded since it was parked. */
  barsWaited: number;
  expireBars: number;
  decidedBy?: string | undefined;
  decidedReason?: string | undefined;
  /** Bar time at which it was traded, dropped or expired. */
  resolvedTime?: number | undefined;
}

/** Something the control did to a step, for the audit: what the operator's instructions changed. */
export interface ControlEvent {
  time: number;
  symbol: string | undefined;
  /**
   * `paused` (no decision traded), `blocked`, `forced`, `flatten`, `parked` (waits for approval),
   * `approved` (traded), `rejected`, `expired`, `superseded`, `command` (a command took effect).
   */
  event: string;
  detail: Record<string, unknown>;
}
