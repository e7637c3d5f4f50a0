import { parseCallRef } from '@orrery/agents';
import type { ControlEvent, Fill, Ledger, Order, RunRow, StoredCycle } from '@orrery/broker';
import { ControlStore } from '@orrery/broker';
import type { Ledger as GatewayLedger } from '@orrery/core';
import { type AuditedCall, AuditRecorder } from './llm-recorder.ts';

/** Where an audit trail is read from. */
export interface AuditSources {
  /** The run ledger (runs, orders, fills, cycle records, control, recorded LLM calls). */
  readonly ledger: Ledger;
  /** The gateway's call ledger, for the ids of each call's rows; null when it is not available. */
  readonly gatewayLedger: GatewayLedger | null;
}

/** One line of an audit export: a JSON object with a `type`. */
export type AuditLine = { type: string } & Record<string, unknown>;

const key = (symbol: string, time: number) => `${symbol}\u0000${time}`;
const iso = (t: number) => new Date(t).toISOString();

/**
 * The audit trail of a run, one object per line, in this order:
 * - `run`: the run (settings, data, status);
 * - `decision` (one per cycle the agents ran, in time order): the inputs (bar, moon readings, the account),
 *   the mode and why, `wokenBy` (the `moon.critical` that woke the sun between bar closes, or null), every planet's report (`timedOut` names the planets that did not answer in time),
 *   the messages the cycle exchanged over the bus by type and sender (`messages`: the moons' readings,
 *   each consulted planet's `sun.directive` and `planet.report`, the broadcast decree), the routing
 *   tree's route, the sun's reasoning and the critic's verdict, the risk
 *   limits that clamped the decision, the decision, each LLM request and answer of the cycle with the
 *   gateway ledger ids of its rows, what operator control did, and the orders the decision placed with
 *   their fills;
 * - `operator`: a symbol and bar the operator decided (forced, flattened, approved) or held (paused,
 *   blocked), with its orders and fills;
 * - `command` and `approval`: every operator command and parked decision;
 * - `llm_call`: a recorded call no cycle claims (none, normally).
 */
export function* auditTrail(src: AuditSources, runId: string): Generator<AuditLine> {
  const run = src.ledger.getRun(runId);
  if (run === undefined) return;
  const control = new ControlStore(src.ledger.db);
  yield runLine(run);
  const trail = new RunIndex(src, runId, control);
  for (const { symbol, time } of trail.steps()) yield trail.stepLine(symbol, time);
  for (const cmd of control.commands(runId)) yield { type: 'command', ...cmd, issuedAt: iso(cmd.issuedAt) };
  for (const a of control.approvals(runId)) yield { type: 'approval', ...a, createdAt: iso(a.createdAt) };
  yield* trail.unclaimedCalls();
}

function runLine(run: RunRow): AuditLine {
  return {
    type: 'run',
    run: run.id,
    status: run.status,
    createdAt: iso(run.createdAt),
    lastBar: run.lastTime === undefined ? null : iso(run.lastTime),
    settings: run.settings,
    meta: run.meta,
  };
}

/** Appends `value` to the list at `k`. */
function push<V>(map: Map<string, V[]>, k: string, value: V): void {
  map.set(k, [...(map.get(k) ?? []), value]);
}

/**
 * A run's orders, fills, LLM calls, control events and cycle records, indexed by symbol and bar; the
 * calls a line has shown are claimed, so the rest are listed once at the end.
 */
class RunIndex {
  readonly #runId: string;
  readonly #gatewayLedger: GatewayLedger | null;
  readonly #fills: Map<string, Fill>;
  readonly #orders = new Map<string, Order[]>();
  readonly #calls = new Map<string, AuditedCall[]>();
  readonly #claimed = new Set<number>();
  /** Control events of one symbol and bar. */
  readonly #events = new Map<string, ControlEvent[]>();
  /** Control events of a whole step (no symbol: `paused`), by bar time. */
  readonly #stepEvents = new Map<number, ControlEvent[]>();
  readonly #cycles: Map<string, StoredCycle>;

  constructor(src: AuditSources, runId: string, control: ControlStore) {
    const { ledger } = src;
    this.#runId = runId;
    this.#gatewayLedger = src.gatewayLedger;
    this.#fills = new Map(ledger.fills(runId).map((f) => [f.id, f]));
    for (const o of ledger.orders(runId)) push(this.#orders, key(o.symbol, o.placedAt), o);
    for (const c of AuditRecorder.calls(ledger.db, runId)) {
      const ref = parseCallRef(c.ref);
      for (const s of ref?.symbols ?? []) push(this.#calls, key(s, ref!.time), c);
      if (ref === undefined) this.#calls.set(`unlinked:${c.id}`, [c]);
    }
    for (const e of control.events(runId)) {
      if (e.symbol === undefined) this.#stepEvents.set(e.time, [...(this.#stepEvents.get(e.time) ?? []), e]);
      else push(this.#events, key(e.symbol, e.time), e);
    }
    this.#cycles = new Map(ledger.cycles(runId).map((c) => [key(c.symbol, c.time), c]));
  }

  /** Every symbol and bar something happened to, in time order. */
  steps(): { symbol: string; time: number }[] {
    const all = new Map<string, { symbol: string; time: number }>();
    const note = (symbol: string, time: number) => all.set(key(symbol, time), { symbol, time });
    for (const c of this.#cycles.values()) note(c.symbol, c.time);
    for (const list of this.#orders.values()) for (const o of list) note(o.symbol, o.placedAt);
    for (const e of this.#events.values())
      for (const x of e) if (x.symbol !== undefined) note(x.symbol, x.time);
    return [...all.values()].sort((a, b) => a.time - b.time || a.symbol.localeCompare(b.symbol));
  }

  /** The `decision` line of a cycle the agents ran, or the `operator` line of a bar they did not. */
  stepLine(symbol: string, time: number): AuditLine {
    const k = key(symbol, time);
    const c = this.#cycles.get(k);
    const base = { run: this.#runId, symbol, time, at: iso(time) };
    if (c === undefined)
      return {
        type: 'operator',
        ...base,
        control: this.#control(symbol, time),
        orders: this.#placed(k),
        llm: this.#llm(k),
      };
    return {
      type: 'decision',
      ...base,
      ...cycleFields(c),
      llm: this.#llm(k),
      control: this.#control(symbol, time),
      orders: this.#placed(k),
    };
  }

  /** `llm_call` lines for the recorded calls no line claimed (none, normally). */
  *unclaimedCalls(): Generator<AuditLine> {
    for (const list of this.#calls.values())
      for (const c of list) {
        if (this.#claimed.has(c.id)) continue;
        this.#claimed.add(c.id);
        yield { type: 'llm_call', run: this.#runId, ...c, at: iso(c.at) };
      }
  }

  #placed(k: string) {
    return (this.#orders.get(k) ?? []).map((o) => ({ ...o, fill: this.#fills.get(o.id) ?? null }));
  }

  #control(symbol: string, time: number): ControlEvent[] {
    return [...(this.#stepEvents.get(time) ?? []), ...(this.#events.get(key(symbol, time)) ?? [])];
  }

  /** The LLM calls of a symbol and bar, claimed, with the gateway ledger ids of their rows. */
  #llm(k: string) {
    return (this.#calls.get(k) ?? []).map((c) => {
      this.#claimed.add(c.id);
      const ledgerIds =
        c.ref === undefined || this.#gatewayLedger === null
          ? []
          : this.#gatewayLedger.byRef(c.ref).map((e) => e.id);
      return callFields(c, ledgerIds);
    });
  }
}

function callFields(c: AuditedCall, ledgerIds: readonly number[]) {
  const ref = parseCallRef(c.ref);
  return {
    call: c.id,
    ref: c.ref ?? null,
    ledgerIds,
    agent: c.agent ?? null,
    task: c.task,
    ...(ref !== undefined && ref.symbols.length > 1 ? { batchedWith: ref.symbols } : {}),
    at: iso(c.at),
    request: c.request,
    outcome: c.outcome,
    answer: c.answer ?? null,
    error: c.error ?? null,
    provider: c.provider ?? null,
    model: c.model ?? null,
    tokensIn: c.tokensIn,
    tokensOut: c.tokensOut,
    costUsd: c.costUsd,
    latencyMs: c.latencyMs,
    cached: c.cached,
  };
}

/** What a `decision` line shows of the cycle record, in the line's order. */
function cycleFields(c: StoredCycle): Record<string, unknown> {
  const r = c.record as Record<string, unknown>;
  return {
    inputs: { ...((r.inputs as object | undefined) ?? {}), portfolio: c.portfolio },
    mode: r.mode,
    modeReason: r.modeReason,
    // An unscheduled cycle between bar closes: the moon.critical that woke the sun (null: scheduled).
    wokenBy: r.wokenBy ?? null,
    regime: r.regime ?? null,
    changedFeatures: r.changedFeatures ?? [],
    criticalUpdates: r.criticalUpdates ?? [],
    planets: r.planets ?? [],
    consensus: r.consensusDecision ?? null,
    reasoning: r.reasoning ?? null,
    critic: r.critic ?? null,
    fallback: r.fallback ?? null,
    route: r.route ?? null,
    messages: r.messages ?? [],
    timedOut: ((r.planets ?? []) as { planet: string; status: string }[])
      .filter((p) => p.status === 'timeout')
      .map((p) => p.planet),
    clamps: r.clamps ?? [],
    decision: r.decision,
    usage: { calls: r.calls, tokensIn: r.tokensIn, tokensOut: r.tokensOut, costUsd: r.costUsd },
    faults: r.faults ?? [],
  };
}
