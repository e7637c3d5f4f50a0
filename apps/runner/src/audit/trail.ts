import { parseCallRef } from '@orrery/agents';
import type { ControlEvent, Fill, Ledger, Order, StoredCycle } from '@orrery/broker';
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
  const { ledger } = src;
  const run = ledger.getRun(runId);
  if (run === undefined) return;
  const control = new ControlStore(ledger.db);
  yield {
    type: 'run',
    run: run.id,
    status: run.status,
    createdAt: iso(run.createdAt),
    lastBar: run.lastTime === undefined ? null : iso(run.lastTime),
    settings: run.settings,
    meta: run.meta,
  };

  const fills = new Map<string, Fill>(ledger.fills(runId).map((f) => [f.id, f]));
  const orders = new Map<string, Order[]>();
  for (const o of ledger.orders(runId)) {
    const k = key(o.symbol, o.placedAt);
    orders.set(k, [...(orders.get(k) ?? []), o]);
  }
  const calls = new Map<string, AuditedCall[]>();
  const claimed = new Set<number>();
  for (const c of AuditRecorder.calls(ledger.db, runId)) {
    const ref = parseCallRef(c.ref);
    for (const s of ref?.symbols ?? []) {
      const k = key(s, ref!.time);
      calls.set(k, [...(calls.get(k) ?? []), c]);
    }
    if (ref === undefined) calls.set(`unlinked:${c.id}`, [c]);
  }
  const events = new Map<string, ControlEvent[]>();
  const stepEvents = new Map<number, ControlEvent[]>();
  for (const e of control.events(runId)) {
    if (e.symbol === undefined) stepEvents.set(e.time, [...(stepEvents.get(e.time) ?? []), e]);
    else events.set(key(e.symbol, e.time), [...(events.get(key(e.symbol, e.time)) ?? []), e]);
  }
  const cycles = new Map<string, StoredCycle>(ledger.cycles(runId).map((c) => [key(c.symbol, c.time), c]));

  const placed = (k: string) => (orders.get(k) ?? []).map((o) => ({ ...o, fill: fills.get(o.id) ?? null }));
  const llm = (k: string) =>
    (calls.get(k) ?? []).map((c) => {
      claimed.add(c.id);
      const ref = parseCallRef(c.ref);
      return {
        call: c.id,
        ref: c.ref ?? null,
        ledgerIds:
          c.ref === undefined || src.gatewayLedger === null
            ? []
            : src.gatewayLedger.byRef(c.ref).map((e) => e.id),
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
    });
  const controlOf = (symbol: string, time: number) => [
    ...(stepEvents.get(time) ?? []),
    ...(events.get(key(symbol, time)) ?? []),
  ];

  // Every symbol and bar something happened to, in time order.
  const all = new Map<string, { symbol: string; time: number }>();
  const note = (symbol: string, time: number) => all.set(key(symbol, time), { symbol, time });
  for (const c of cycles.values()) note(c.symbol, c.time);
  for (const list of orders.values()) for (const o of list) note(o.symbol, o.placedAt);
  for (const e of events.values()) for (const x of e) if (x.symbol !== undefined) note(x.symbol, x.time);
  const ordered = [...all.values()].sort((a, b) => a.time - b.time || a.symbol.localeCompare(b.symbol));

  for (const { symbol, time } of ordered) {
    const k = key(symbol, time);
    const c = cycles.get(k);
    const base = { run: runId, symbol, time, at: iso(time) };
    if (c === undefined) {
      yield { type: 'operator', ...base, control: controlOf(symbol, time), orders: placed(k), llm: llm(k) };
      continue;
    }
    const r = c.record as Record<string, unknown>;
    yield {
      type: 'decision',
      ...base,
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
      llm: llm(k),
      control: controlOf(symbol, time),
      orders: placed(k),
    };
  }
  for (const cmd of control.commands(runId)) yield { type: 'command', ...cmd, issuedAt: iso(cmd.issuedAt) };
  for (const a of control.approvals(runId)) yield { type: 'approval', ...a, createdAt: iso(a.createdAt) };
  for (const list of calls.values())
    for (const c of list) {
      if (claimed.has(c.id)) continue;
      claimed.add(c.id);
      yield { type: 'llm_call', run: runId, ...c, at: iso(c.at) };
    }
}
