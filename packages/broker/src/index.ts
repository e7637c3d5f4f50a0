/**
 * `@orrery/broker`: what a run trades and records. The paper broker (orders, fills, positions, stops),
 * the run ledger in SQLite (runs, orders, fills, equity, cycle records; one transaction per step) and
 * the operator control store (commands, standing instructions, parked approvals, control events) kept in
 * the ledger's file. The runner wires them; nothing here knows about the CLI or HTTP.
 */
export type { Approval, ApprovalStatus, ControlEvent } from './control/approval.ts';
export {
  type CommandStatus,
  type ControlCommand,
  type ControlCommandBody,
  type ControlCommandInput,
  type ControlKind,
  controlCommandSchema,
} from './control/command.ts';
export { type ControlStepWrite, ControlStore } from './control/control-store.ts';
export type { DecisionLike } from './control/decision.ts';
export {
  type Applied,
  applyCommand,
  type ControlState,
  controlStateSchema,
  emptyControlState,
} from './control/state.ts';
export { type ControlLimits, checkCommandForRun, runSymbols } from './control/validate.ts';
export {
  BrokerError,
  BrokerErrorCode,
  BrokerPackageError,
  ControlError,
  LedgerError,
} from './errors.ts';
export {
  type EquityPoint,
  Ledger,
  type RunRow,
  type StepWrite,
  type StoredCycle,
} from './ledger-db.ts';
export { type BrokerState, PaperBroker, type PortfolioSnapshot } from './paper-broker.ts';
export type {
  BrokerSettings,
  Fill,
  Order,
  OrderRequest,
  OrderSide,
  OrderStatus,
  OrderType,
  Position,
  TimeInForce,
} from './types.ts';
export { type KeyIssue, toIssues } from './zod-issues.ts';
