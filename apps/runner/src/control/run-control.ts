import type { Bar } from '@orrery/agents';
import type { Approval, ControlEvent, ControlStepWrite, ControlStore, PaperBroker } from '@orrery/broker';
import { applyCommand, type ControlCommand, type ControlState } from '@orrery/broker';
import type { DecisionLike } from '../loop/strategy.ts';
import type { LoopControl, Route, StepControl } from './loop-control.ts';

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
    begin(time: number, broker: PaperBroker): StepControl {
      const started = committed ?? store.state(runId);
      committed = undefined;
      const boundary = new Boundary(store, runId, { time, broker, now, state: started });
      boundary.ageApprovals();
      for (const cmd of store.commands(runId, 'pending')) boundary.apply(cmd);
      boundary.onCommitted((state) => {
        // Unchanged by this boundary: what the next one would read back is this very state.
        if (state === started) committed = state;
      });
      return boundary;
    },
  };
}

/**
 * One cycle boundary of a run: the standing instructions as its commands left them, the approvals it
 * changed and the events it recorded, all written with the step's commit.
 */
class Boundary implements StepControl {
  #state: ControlState;
  /** Symbols with an open position at the boundary (what `flatten` closes), read when a command needs them. */
  #heldAtStart: readonly string[] | undefined;
  readonly #pending: Map<string, Approval>;
  readonly #changed = new Map<string, Approval>();
  readonly #events: ControlEvent[] = [];
  readonly #applied: ControlStepWrite['applied'][number][] = [];
  /** Approvals decided `approved` at this boundary, by symbol: they trade now. */
  readonly #approvedNow = new Map<string, Approval>();
  /** The number of the next approval parked here; read from the store when one is first parked. */
  #nextApproval: number | undefined;
  #pausedNoted = false;
  #committed: ((state: ControlState) => void) | undefined;

  readonly #store: ControlStore;
  readonly #runId: string;
  /** Bar time of the step. */
  readonly #time: number;
  readonly #broker: PaperBroker;
  readonly #now: () => number;

  constructor(
    store: ControlStore,
    runId: string,
    at: { time: number; broker: PaperBroker; now: () => number; state: ControlState },
  ) {
    this.#store = store;
    this.#runId = runId;
    this.#time = at.time;
    this.#broker = at.broker;
    this.#now = at.now;
    this.#state = at.state;
    this.#pending = new Map(store.approvals(runId, 'pending').map((a) => [a.id, a]));
  }

  /** Ages what waits: a parked decision lives `expireBars` boundaries. */
  ageApprovals(): void {
    for (const a of this.#pending.values()) {
      a.barsWaited += 1;
      this.#changed.set(a.id, a);
      if (a.barsWaited > a.expireBars) {
        this.#resolve(a, 'expired');
        this.#event(a.symbol, 'expired', { approval: a.id, waited: a.barsWaited - 1 });
      }
    }
  }

  /** Applies one pending command: the state it leaves, its record, and the approval it decides. */
  apply(cmd: ControlCommand): void {
    const r = applyCommand(this.#state, cmd, {
      time: this.#time,
      held: this.#held(),
      pending: (id) => this.#pending.has(id),
    });
    this.#state = r.state;
    this.#applied.push({ id: cmd.id, status: r.void ? 'void' : 'applied', note: r.note });
    this.#event('symbol' in cmd ? cmd.symbol : undefined, 'command', {
      id: cmd.id,
      kind: cmd.kind,
      by: cmd.by,
      reason: cmd.reason,
      note: r.note,
      void: r.void,
    });
    if (r.decide === undefined) return;
    const a = this.#pending.get(r.decide.approval)!;
    a.decidedBy = cmd.by;
    a.decidedReason = cmd.reason;
    this.#resolve(a, r.decide.verdict);
    if (a.status === 'approved') this.#approvedNow.set(a.symbol, a);
    else this.#event(a.symbol, 'rejected', { approval: a.id, by: cmd.by });
  }

  /** Called with the state this boundary committed, once its commit is done. */
  onCommitted(fn: (state: ControlState) => void): void {
    this.#committed = fn;
  }

  /** Symbols with an open position at the boundary, computed once. */
  #held(): readonly string[] {
    this.#heldAtStart ??= Object.entries(this.#broker.positions())
      .filter(([, p]) => p.qty !== 0)
      .map(([s]) => s);
    return this.#heldAtStart;
  }

  route(symbol: string, bar: Bar): Route {
    return (
      this.#flatten(symbol, bar) ??
      this.#paused() ??
      this.#forced(symbol, bar) ??
      this.#blocked(symbol) ??
      this.#approved(symbol) ?? { kind: 'agents' }
    );
  }

  review(symbol: string, bar: Bar, decision: DecisionLike): DecisionLike | null {
    const mode = this.#state.approval;
    if (mode === null || decision.action === 'hold') return decision;
    const current = this.#fraction(symbol, bar.close);
    const target = decision.action === 'flatten' ? 0 : decision.targetFraction;
    const reduces = Math.abs(target) <= Math.abs(current) && Math.sign(target) * Math.sign(current) >= 0;
    const size = Math.abs(target - current);
    if (reduces || size <= mode.threshold) return decision;
    this.#supersede(symbol);
    this.#park({ symbol, decision, current, size, threshold: mode.threshold, expireBars: mode.expireBars });
    return null;
  }

  commit(write: () => void): void {
    this.#store.transaction(() => {
      write();
      this.#store.writeStep(this.#runId, {
        time: this.#time,
        state: this.#state,
        applied: this.#applied,
        approvals: [...this.#changed.values()],
        events: this.#events,
      });
    });
    this.#committed?.(this.#state);
  }

  /** A pending `flatten` closes the position, even when paused or blocked; once. */
  #flatten(symbol: string, bar: Bar): Route | undefined {
    const flat = this.#state.flattening[symbol];
    if (flat === undefined) return undefined;
    const { [symbol]: _, ...rest } = this.#state.flattening;
    this.#state = { ...this.#state, flattening: rest };
    this.#event(symbol, 'flatten', { by: flat.by, reason: flat.reason });
    return this.#operator(symbol, bar, 0, `flatten by ${flat.by}: ${flat.reason}`);
  }

  /** `pause` holds every symbol; the event is recorded once per boundary. */
  #paused(): Route | undefined {
    const paused = this.#state.paused;
    if (paused === null) return undefined;
    if (!this.#pausedNoted) {
      this.#pausedNoted = true;
      this.#event(undefined, 'paused', { by: paused.by, since: paused.since });
    }
    return { kind: 'hold' };
  }

  #forced(symbol: string, bar: Bar): Route | undefined {
    const forced = this.#state.forced[symbol];
    if (forced === undefined) return undefined;
    this.#event(symbol, 'forced', { target: forced.target, by: forced.by });
    const why = `forced to ${forced.target} by ${forced.by}: ${forced.reason}`;
    return this.#operator(symbol, bar, forced.target, why);
  }

  #blocked(symbol: string): Route | undefined {
    const blocked = this.#state.blocked[symbol];
    if (blocked === undefined) return undefined;
    this.#event(symbol, 'blocked', { by: blocked.by, since: blocked.since });
    return { kind: 'hold' };
  }

  /** An approval decided at this boundary trades its parked decision now. */
  #approved(symbol: string): Route | undefined {
    const a = this.#approvedNow.get(symbol);
    if (a === undefined) return undefined;
    this.#event(symbol, 'approved', { approval: a.id, by: a.decidedBy, from: a.time });
    const rationale = `approved ${a.id} by ${a.decidedBy}: ${a.decision.rationale}`;
    return { kind: 'operator', decision: { ...a.decision, rationale } };
  }

  /** A newer decision in the symbol replaces what waits there. */
  #supersede(symbol: string): void {
    for (const a of this.#pending.values()) {
      if (a.symbol !== symbol) continue;
      this.#resolve(a, 'superseded');
      this.#event(symbol, 'superseded', { approval: a.id });
    }
  }

  #park(p: Pick<Approval, 'symbol' | 'decision' | 'current' | 'size' | 'threshold' | 'expireBars'>): void {
    // Approvals are written only by this loop, at its commits: the store's next id holds until then.
    this.#nextApproval ??= Number(this.#store.nextApprovalId(this.#runId).slice(1));
    const a: Approval = {
      id: `A${this.#nextApproval++}`,
      runId: this.#runId,
      symbol: p.symbol,
      time: this.#time,
      createdAt: this.#now(),
      decision: p.decision,
      current: p.current,
      size: p.size,
      threshold: p.threshold,
      status: 'pending',
      barsWaited: 0,
      expireBars: p.expireBars,
    };
    this.#pending.set(a.id, a);
    this.#changed.set(a.id, a);
    this.#event(p.symbol, 'parked', { approval: a.id, size: p.size, threshold: p.threshold });
  }

  /** Ends a pending approval at this boundary. */
  #resolve(a: Approval, status: Exclude<Approval['status'], 'pending'>): void {
    a.status = status;
    a.resolvedTime = this.#time;
    this.#pending.delete(a.id);
    this.#changed.set(a.id, a);
  }

  #event(symbol: string | undefined, event: string, detail: Record<string, unknown>): void {
    this.#events.push({ time: this.#time, symbol, event, detail });
  }

  /** The position in `symbol`, signed fraction of equity at `close`. */
  #fraction(symbol: string, close: number): number {
    const equity = this.#broker.equity();
    return equity > 0 ? (this.#broker.qty(symbol) * close) / equity : 0;
  }

  /** The operator's decision to hold `target` (fraction of equity) in `symbol`. */
  #operator(symbol: string, bar: Bar, target: number, rationale: string): Route {
    const action = target === 0 ? 'flatten' : target >= this.#fraction(symbol, bar.close) ? 'buy' : 'sell';
    return {
      kind: 'operator',
      decision: { symbol, action, targetFraction: target, confidence: 1, rationale, source: 'operator' },
    };
  }
}
