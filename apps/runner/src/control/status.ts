import type { Approval, ControlCommand, ControlState, ControlStore, RunRow } from '@orrery/broker';
import { formatTime } from '@orrery/feeds';
import { formatMemoryHealth, type MemoryHealthView } from '../runs/memory-health.ts';

/** What `orrery control status` (and `GET /control/runs/:run`) shows. */
export interface ControlStatus {
  run: { id: string; status: RunRow['status']; lastTime: number | null };
  /** The instructions in force as of the last committed step. */
  state: ControlState;
  /** Issued, not yet applied: they take effect at the next step the run trades. */
  pendingCommands: ControlCommand[];
  /** Decisions waiting for a person. */
  pendingApprovals: Approval[];
  /** The last ten commands applied or void, newest last. */
  recentCommands: ControlCommand[];
  /** Episodic memory's health as the run last wrote it (index state, degraded periods); null: none written. */
  memory: MemoryHealthView | null;
}

/** The control status of `run` (`memory`: its memory health, see `readMemoryHealth`). */
export function controlStatus(
  store: ControlStore,
  run: RunRow,
  memory: MemoryHealthView | null = null,
): ControlStatus {
  const all = store.commands(run.id);
  return {
    run: { id: run.id, status: run.status, lastTime: run.lastTime ?? null },
    state: store.state(run.id),
    pendingCommands: all.filter((c) => c.status === 'pending'),
    pendingApprovals: store.approvals(run.id, 'pending'),
    recentCommands: all.filter((c) => c.status !== 'pending').slice(-10),
    memory,
  };
}

const at = (t: number) => formatTime(t, false);
const why = (a: { by: string; reason: string }) => `by ${a.by}${a.reason === '' ? '' : ` (${a.reason})`}`;

/** One line per command: `#12 block BTC/USDT by alice (news) — applied at 2020-03-01: BTC/USDT blocked`. */
export function formatCommand(c: ControlCommand): string {
  const arg =
    c.kind === 'force'
      ? ` ${c.symbol} ${c.target}`
      : 'symbol' in c
        ? ` ${c.symbol}`
        : 'approval' in c
          ? ` ${c.approval}`
          : c.kind === 'require-approval'
            ? ` ${c.threshold ?? 'off'}`
            : '';
  const fate =
    c.status === 'pending'
      ? 'pending: takes effect at the next bar the run trades'
      : `${c.status} at ${at(c.appliedTime ?? 0)}${c.note === undefined ? '' : `: ${c.note}`}`;
  return `#${c.id} ${c.kind}${arg} ${why(c)} — ${fate}`;
}

/** One line per approval. */
export function formatApproval(a: Approval): string {
  return (
    `${a.id} ${a.symbol} ${a.decision.action} to ${a.decision.targetFraction.toFixed(3)} of equity ` +
    `(from ${a.current.toFixed(3)}, size ${a.size.toFixed(3)} > ${a.threshold}) decided ${at(a.time)} ` +
    `by ${a.decision.source}; waited ${a.barsWaited} of ${a.expireBars} bars`
  );
}

/** The status as text for a terminal. */
export function formatStatus(s: ControlStatus): string {
  const st = s.state;
  const lines = [
    `Run ${s.run.id} (${s.run.status}${s.run.lastTime === null ? ', no bar yet' : `, last bar ${at(s.run.lastTime)}`})`,
    `Paused:          ${st.paused === null ? 'no' : `since ${at(st.paused.since)} ${why(st.paused)}`}`,
    `Blocked:         ${list(Object.entries(st.blocked).map(([sym, a]) => `${sym} ${why(a)}`))}`,
    `Forced:          ${list(Object.entries(st.forced).map(([sym, a]) => `${sym} at ${a.target} ${why(a)}`))}`,
    `Approval mode:   ${
      st.approval === null
        ? 'off'
        : `decisions above ${st.approval.threshold} of equity wait (expire after ${st.approval.expireBars} bars) ${why(st.approval)}`
    }`,
    `Flattening:      ${list(Object.keys(st.flattening))}`,
    ...(s.memory === null ? [] : [`Memory:          ${formatMemoryHealth(s.memory)}`]),
    `Pending commands (${s.pendingCommands.length}):`,
    ...s.pendingCommands.map((c) => `  ${formatCommand(c)}`),
    `Pending approvals (${s.pendingApprovals.length}):`,
    ...s.pendingApprovals.map((a) => `  ${formatApproval(a)}`),
    `Recent commands:`,
    ...s.recentCommands.map((c) => `  ${formatCommand(c)}`),
  ];
  return lines.join('\n');
}

function list(items: readonly string[]): string {
  return items.length === 0 ? 'none' : items.join('; ');
}
