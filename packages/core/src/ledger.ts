import { writeFileSync } from 'node:fs';
import type { Statement } from 'better-sqlite3';
import type { SqliteDb } from './sqlite.ts';

/** What happened to a request. */
export type LedgerOutcome =
  /** A provider call that answered usably. */
  | 'ok'
  /**
   * A provider call that failed (rate limited, timeout, HTTP error, bad or truncated answer) — or, with code
   * `ORRERY_LLM_IN_FLIGHT`, one still in flight or whose process died during it (its tokens and cost are
   * then the reservation's).
   */
  | 'error'
  /** No call was made: budget, chain budget, cooldown or policy said no. */
  | 'refused'
  /** Answered from the cache; no call. */
  | 'cache_hit';

/** Why a request was refused before any call (`replay`: a replaying gateway answered a recorded failure, or had no recording). */
export type RefusalReason = 'budget' | 'chain' | 'cooldown' | 'policy' | 'invalid_request' | 'replay';

/** One row of the ledger. Secrets never reach it. */
export interface LedgerEntry {
  id: number;
  /** Epoch ms (the gateway's clock). */
  at: number;
  task: string;
  mode: string | undefined;
  agent: string | undefined;
  /** The delegation chain's `BudgetTracker` id, when the request carried one. */
  chain: string | undefined;
  /** The request's correlation id (`LLMRequest.ref`), when it carried one. */
  ref?: string | undefined;
  provider: string | undefined;
  model: string | undefined;
  outcome: LedgerOutcome;
  /** Set for `refused`. */
  reason: RefusalReason | undefined;
  /** The `LLMError` code for `refused` and `error`. */
  code: string | undefined;
  message: string | undefined;
  critical: boolean;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  /** Wall-clock milliseconds spent (0 for refusals). */
  latencyMs: number;
}

/** A paid model's price, against which savings are estimated. */
export interface ReferenceModel {
  name: string;
  /** USD per 1,000 input tokens. */
  inputPer1k: number;
  /** USD per 1,000 output tokens. */
  outputPer1k: number;
}

/** Totals over a period; see {@link Ledger.summary}. */
export interface LedgerSummary {
  /** Period start and end (epoch ms). */
  since: number;
  until: number;
  /** Provider calls made (`ok` + `error`). */
  calls: number;
  callsOk: number;
  callsFailed: number;
  /** Failed calls by `LLMError` code. */
  errorsByCode: Record<string, number>;
  /** Requests refused before any call, by reason. */
  refusals: Record<string, number>;
  cacheHits: number;
  /** Tokens of the calls made. */
  tokensIn: number;
  tokensOut: number;
  /** What the calls made cost (local models cost 0). */
  costUsd: number;
  /** What every answered request (calls made and cache hits) would have cost on the reference model. */
  referenceCostUsd: number;
  referenceModel: string;
  /** `referenceCostUsd - costUsd`: saved by local models, cheaper models and the cache. */
  savingsUsd: number;
  /** Per provider/model: calls, tokens, cost. */
  byModel: {
    provider: string;
    model: string;
    calls: number;
    tokensIn: number;
    tokensOut: number;
    costUsd: number;
  }[];
}

interface Row {
  id: number;
  at_ms: number;
  task: string;
  mode: string | null;
  agent: string | null;
  chain: string | null;
  ref: string | null;
  provider: string | null;
  model: string | null;
  outcome: LedgerOutcome;
  reason: RefusalReason | null;
  code: string | null;
  message: string | null;
  critical: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
  latency_ms: number;
}

const DAY_MS = 86_400_000;

/** Every call, refusal and cache hit, in SQLite; exportable as JSONL; summarised with savings. */
export class Ledger {
  readonly #insert: Statement<unknown[]>;
  readonly #complete: Statement<unknown[]>;
  readonly #begin: Statement<unknown[]>;
  readonly #since: Statement<[number], Row>;
  readonly #byRef: Statement<[string], Row>;
  readonly #now: () => number;
  readonly #reference: ReferenceModel;

  readonly #beforeRead: () => void;

  /**
   * @param now the clock for `summary`'s period.
   * @param beforeRead called before every query (the gateway flushes its queued writes there).
   */
  constructor(db: SqliteDb, reference: ReferenceModel, now: () => number, beforeRead: () => void = () => {}) {
    this.#reference = reference;
    this.#now = now;
    this.#beforeRead = beforeRead;
    this.#insert = db.prepare(
      `INSERT INTO ledger (at_ms, task, mode, agent, chain, ref, provider, model, outcome, reason, code, message,
         critical, tokens_in, tokens_out, cost_usd, latency_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#begin = db.prepare(
      `INSERT INTO ledger (at_ms, task, mode, agent, chain, ref, provider, model, outcome, code, critical,
         tokens_in, tokens_out, cost_usd, latency_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'error', 'ORRERY_LLM_IN_FLIGHT', ?, ?, ?, ?, 0)`,
    );
    this.#complete = db.prepare(
      `UPDATE ledger SET outcome = ?, code = ?, message = ?, tokens_in = ?, tokens_out = ?, cost_usd = ?,
         latency_ms = ? WHERE id = ?`,
    );
    this.#since = db.prepare('SELECT * FROM ledger WHERE at_ms >= ? ORDER BY id');
    this.#byRef = db.prepare('SELECT * FROM ledger WHERE ref = ? ORDER BY id');
  }

  /** Appends an entry and returns its id. */
  record(e: Omit<LedgerEntry, 'id'>): number {
    const info = this.#insert.run(
      e.at,
      e.task,
      e.mode ?? null,
      e.agent ?? null,
      e.chain ?? null,
      e.ref ?? null,
      e.provider ?? null,
      e.model ?? null,
      e.outcome,
      e.reason ?? null,
      e.code ?? null,
      e.message ?? null,
      e.critical ? 1 : 0,
      e.tokensIn,
      e.tokensOut,
      e.costUsd,
      e.latencyMs,
    );
    return Number(info.lastInsertRowid);
  }

  /**
   * Appends the row of a call about to be made (`outcome: 'error'`, code `ORRERY_LLM_IN_FLIGHT`, the
   * reservation's tokens and cost) and returns its id; {@link complete} fills in the outcome.
   */
  begin(
    e: Pick<
      LedgerEntry,
      | 'at'
      | 'task'
      | 'mode'
      | 'agent'
      | 'chain'
      | 'ref'
      | 'provider'
      | 'model'
      | 'critical'
      | 'tokensIn'
      | 'tokensOut'
      | 'costUsd'
    >,
  ): number {
    const info = this.#begin.run(
      e.at,
      e.task,
      e.mode ?? null,
      e.agent ?? null,
      e.chain ?? null,
      e.ref ?? null,
      e.provider ?? null,
      e.model ?? null,
      e.critical ? 1 : 0,
      e.tokensIn,
      e.tokensOut,
      e.costUsd,
    );
    return Number(info.lastInsertRowid);
  }

  /**
   * Completes a row written when its call started (`outcome: 'error'`, code `ORRERY_LLM_IN_FLIGHT`,
   * the reservation's tokens): the call's outcome, error, usage and latency.
   */
  complete(
    id: number,
    e: Pick<LedgerEntry, 'outcome' | 'code' | 'message' | 'tokensIn' | 'tokensOut' | 'costUsd' | 'latencyMs'>,
  ): void {
    this.#complete.run(
      e.outcome,
      e.code ?? null,
      e.message ?? null,
      e.tokensIn,
      e.tokensOut,
      e.costUsd,
      e.latencyMs,
      id,
    );
  }

  /** Entries at or after `sinceMs` (epoch ms, default: all), oldest first. */
  since(sinceMs = 0): LedgerEntry[] {
    this.#beforeRead();
    return this.#since.all(sinceMs).map(fromRow);
  }

  /** The entries recorded for requests that carried `ref` (`LLMRequest.ref`), oldest first. */
  byRef(ref: string): LedgerEntry[] {
    this.#beforeRead();
    return this.#byRef.all(ref).map(fromRow);
  }

  /** Writes entries at or after `sinceMs` to `path`, one JSON object per line. Returns the line count. */
  exportJsonl(path: string, sinceMs = 0): number {
    const entries = this.since(sinceMs);
    writeFileSync(path, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    return entries.length;
  }

  /**
   * Totals for the last `days` days (default 1): calls, failures by code, refusals by reason, cache hits,
   * tokens, cost, and the savings against the reference model — what every answered request (calls made
   * and cache hits, with their token counts) would have cost there, minus what was actually spent.
   */
  summary(options: { days?: number } = {}): LedgerSummary {
    this.#beforeRead();
    const until = this.#now();
    const since = until - (options.days ?? 1) * DAY_MS;
    const s: LedgerSummary = {
      since,
      until,
      calls: 0,
      callsOk: 0,
      callsFailed: 0,
      errorsByCode: {},
      refusals: {},
      cacheHits: 0,
      tokensIn: 0,
      tokensOut: 0,
      costUsd: 0,
      referenceCostUsd: 0,
      referenceModel: this.#reference.name,
      savingsUsd: 0,
      byModel: [],
    };
    const byModel = new Map<string, LedgerSummary['byModel'][number]>();
    const ref = this.#reference;
    for (const row of this.#since.iterate(since)) {
      if (row.at_ms > until) continue;
      if (row.outcome === 'refused') {
        const reason = row.reason ?? 'unknown';
        s.refusals[reason] = (s.refusals[reason] ?? 0) + 1;
        continue;
      }
      s.referenceCostUsd += (row.tokens_in * ref.inputPer1k + row.tokens_out * ref.outputPer1k) / 1000;
      if (row.outcome === 'cache_hit') {
        s.cacheHits += 1;
        continue;
      }
      s.calls += 1;
      if (row.outcome === 'ok') s.callsOk += 1;
      else {
        s.callsFailed += 1;
        const code = row.code ?? 'unknown';
        s.errorsByCode[code] = (s.errorsByCode[code] ?? 0) + 1;
      }
      s.tokensIn += row.tokens_in;
      s.tokensOut += row.tokens_out;
      s.costUsd += row.cost_usd;
      const key = `${row.provider}/${row.model}`;
      const m = byModel.get(key) ?? {
        provider: row.provider ?? '',
        model: row.model ?? '',
        calls: 0,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: 0,
      };
      m.calls += 1;
      m.tokensIn += row.tokens_in;
      m.tokensOut += row.tokens_out;
      m.costUsd += row.cost_usd;
      byModel.set(key, m);
    }
    s.savingsUsd = s.referenceCostUsd - s.costUsd;
    s.byModel = [...byModel.values()].sort((a, b) => b.calls - a.calls);
    return s;
  }
}

function fromRow(r: Row): LedgerEntry {
  return {
    id: r.id,
    at: r.at_ms,
    task: r.task,
    mode: r.mode ?? undefined,
    agent: r.agent ?? undefined,
    chain: r.chain ?? undefined,
    ...(r.ref === null ? {} : { ref: r.ref }),
    provider: r.provider ?? undefined,
    model: r.model ?? undefined,
    outcome: r.outcome,
    reason: r.reason ?? undefined,
    code: r.code ?? undefined,
    message: r.message ?? undefined,
    critical: r.critical === 1,
    tokensIn: r.tokens_in,
    tokensOut: r.tokens_out,
    costUsd: r.cost_usd,
    latencyMs: r.latency_ms,
  };
}
