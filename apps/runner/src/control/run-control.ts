import type { Bar } from '@orrery/agents';
import type { PaperBroker } from '../broker/paper-broker.ts';
import type { DecisionLike } from '../loop/strategy.ts';
import type { Approval, ControlEvent } from './approval.ts';
import type { ControlStepWrite, ControlStore } from './control-store.ts';
import type { LoopControl, Route, StepControl } from './loop-control.ts';
import { applyCommand, type ControlState } from './state.ts';

/**
 * The {@link LoopControl} of one run, on its {@link ControlStore}. At each boundary it applies the
 * commands issued since the last one (from any process), ages parked approvals (one step each; expired
 * past their `expireBars`), then routes each symbol. Precedence: a pending `flatten` closes the position
 * (even when paused or blocked), then `pause` holds everything, then `force` trades the operator's target,
 * then `block` holds the symbol, then an approval decided this boundary trades; otherwise the agents
 * decide, and in approval mode a decision growing a position by more than the threshold is parked
 * (reductions and exits never wait). `now` stamps approvals with the wall clock.
 */
export function createRunControl(
  store: ControlStore,
  runId: string,
  now: () => number = Date.now,
): LoopControl {
  // The standing instructions as the last commit left them, when it did not change them (only this loop
  // writes them; other processes issue commands, read at every boundary). Undefined: read the store.
  let committed: ControlState | undefined;
  return {
    wakeable(symbol: string): boolean {
      const s = store.state(runId);
      return (
        s.paused === null &&
        s.approval === null &&
        s.blocked[symbol] === undefined &&
        s.forced[symbol] === undefined &&
        s.flattening[symbol] === undefined &&
        store.commands(runId, 'pending').length === 0
      );
    },
    // Long (one boundary's closure: ageing, commands, routing, review, commit share its state). Left whole
    // here because the `broker` branch is moving this file to packages/broker: splitting it there.
    begin(time: number, broker: PaperBroker): StepControl {
      const started: ControlState = committed ?? store.state(runId);
      let state = started;
      const pending = new Map(store.approvals(runId, 'pending').map((a) => [a.id, a]));
      const changed = new Map<string, Approval>();
      const events: ControlEvent[] = [];
      const applied: ControlStepWrite['applied'][number][] = [];
      const approvedNow = new Map<string, Approval>();
      const event = (e: Omit<ControlEvent, 'time'>) => events.push({ time, ...e });

      // Age what waits: a parked decision lives `expireBars` boundaries.
      for (const a of pending.values()) {
        a.barsWaited += 1;
        changed.set(a.id, a);
        if (a.barsWaited > a.expireBars) {
          a.status = 'expired';
          a.resolvedTime = time;
          pending.delete(a.id);
          event({ symbol: a.symbol, event: 'expired', detail: { approval: a.id, waited: a.barsWaited - 1 } });
        }
      }
      const commands = store.commands(runId, 'pending');
      const held =
        commands.length === 0
          ? []
          : Object.entries(broker.positions())
              .filter(([, p]) => p.qty !== 0)
              .map(([s]) => s);
      for (const cmd of commands) {
        const r = applyCommand(state, cmd, { time, held, pending: (id) => pending.has(id) });
        state = r.state;
        applied.push({ id: cmd.id, status: r.void ? 'void' : 'applied', note: r.note });
        const symbol = 'symbol' in cmd ? cmd.symbol : undefined;
        event({
          symbol,
          event: 'command',
          detail: { id: cmd.id, kind: cmd.kind, by: cmd.by, reason: cmd.reason, note: r.note, void: r.void },
        });
        if (r.decide !== undefined) {
          const a = pending.get(r.decide.approval)!;
          a.status = r.decide.verdict;
          a.decidedBy = cmd.by;
          a.decidedReason = cmd.reason;
          a.resolvedTime = time;
          pending.delete(a.id);
          changed.set(a.id, a);
          if (a.status === 'approved') approvedNow.set(a.symbol, a);
          else event({ symbol: a.symbol, event: 'rejected', detail: { approval: a.id, by: cmd.by } });
        }
      }
      // Read when a decision is first parked: approvals are written only by this loop, at its commits.
      let nextApproval: number | undefined;
      const pausedNoted = { done: false };

      const fraction = (symbol: string, close: number) => {
        const equity = broker.equity();
        return equity > 0 ? (broker.qty(symbol) * close) / equity : 0;
      };
      const operator = (symbol: string, bar: Bar, target: number, rationale: string): DecisionLike => ({
        symbol,
        action: target === 0 ? 'flatten' : target >= fraction(symbol, bar.close) ? 'buy' : 'sell',
        targetFraction: target,
        confidence: 1,
        rationale,
        source: 'operator',
      });

      return {
        route(symbol: string, bar: Bar): Route {
          const flat = state.flattening[symbol];
          if (flat !== undefined) {
            const { [symbol]: _, ...rest } = state.flattening;
            state = { ...state, flattening: rest };
            event({ symbol, event: 'flatten', detail: { by: flat.by, reason: flat.reason } });
            return {
              kind: 'operator',
              decision: operator(symbol, bar, 0, `flatten by ${flat.by}: ${flat.reason}`),
            };
          }
          if (state.paused !== null) {
            if (!pausedNoted.done) {
              pausedNoted.done = true;
              event({
                symbol: undefined,
                event: 'paused',
                detail: { by: state.paused.by, since: state.paused.since },
              });
            }
            return { kind: 'hold' };
          }
          const forced = state.forced[symbol];
          if (forced !== undefined) {
            event({ symbol, event: 'forced', detail: { target: forced.target, by: forced.by } });
            return {
              kind: 'operator',
              decision: operator(
                symbol,
                bar,
                forced.target,
                `forced to ${forced.target} by ${forced.by}: ${forced.reason}`,
              ),
            };
          }
          const blocked = state.blocked[symbol];
          if (blocked !== undefined) {
            event({ symbol, event: 'blocked', detail: { by: blocked.by, since: blocked.since } });
            return { kind: 'hold' };
          }
          const approved = approvedNow.get(symbol);
          if (approved !== undefined) {
            event({
              symbol,
              event: 'approved',
              detail: { approval: approved.id, by: approved.decidedBy, from: approved.time },
            });
            return {
              kind: 'operator',
              decision: {
                ...approved.decision,
                rationale: `approved ${approved.id} by ${approved.decidedBy}: ${approved.decision.rationale}`,
              },
            };
          }
          return { kind: 'agents' };
        },

        review(symbol: string, bar: Bar, decision: DecisionLike): DecisionLike | null {
          const mode = state.approval;
          if (mode === null || decision.action === 'hold') return decision;
          const current = fraction(symbol, bar.close);
          const target = decision.action === 'flatten' ? 0 : decision.targetFraction;
          const reduces =
            Math.abs(target) <= Math.abs(current) && Math.sign(target) * Math.sign(current) >= 0;
          const size = Math.abs(target - current);
          if (reduces || size <= mode.threshold) return decision;
          for (const a of pending.values()) {
            if (a.symbol !== symbol) continue;
            a.status = 'superseded';
            a.resolvedTime = time;
            pending.delete(a.id);
            changed.set(a.id, a);
            event({ symbol, event: 'superseded', detail: { approval: a.id } });
          }
          nextApproval ??= Number(store.nextApprovalId(runId).slice(1));
          const a: Approval = {
            id: `A${nextApproval}`,
            runId,
            symbol,
            time,
            createdAt: now(),
            decision,
            current,
            size,
            threshold: mode.threshold,
            status: 'pending',
            barsWaited: 0,
            expireBars: mode.expireBars,
          };
          nextApproval++;
          pending.set(a.id, a);
          changed.set(a.id, a);
          event({ symbol, event: 'parked', detail: { approval: a.id, size, threshold: mode.threshold } });
          return null;
        },

        commit(write: () => void): void {
          committed = undefined;
          store.transaction(() => {
            write();
            store.writeStep(runId, { time, state, applied, approvals: [...changed.values()], events });
          });
          // Unchanged by this boundary: what the next one would read back is this very state.
          if (state === started) committed = state;
        },
      };
    },
  };
}
