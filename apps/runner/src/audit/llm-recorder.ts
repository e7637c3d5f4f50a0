import { performance } from 'node:perf_hooks';
import {
  type ChatMessage,
  LLMError,
  LLMErrorCode,
  type LLMRequest,
  type LLMResponse,
  type LlmMiddlewareObject,
  type LlmNext,
} from '@orrery/core';
import type Database from 'better-sqlite3';
import type { Redactor } from './redact.ts';

/** One LLM request of a run as the audit trail keeps it: what was asked, what came back. */
export interface AuditedCall {
  id: number;
  runId: string;
  /** The request's correlation id (`@orrery/agents`' call ref): which cycle, agent and call. */
  ref: string | undefined;
  /** When it was asked, epoch ms (wall clock). */
  at: number;
  agent: string | undefined;
  task: string;
  mode: string | undefined;
  request: { messages: ChatMessage[]; maxTokens?: number | undefined; temperature?: number | undefined };
  outcome: 'ok' | 'error';
  /** The model's text (`ok`), redacted. */
  answer: string | undefined;
  provider: string | undefined;
  model: string | undefined;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  latencyMs: number;
  cached: boolean;
  error: { code: string | undefined; message: string } | undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_llm_calls (
  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, ref TEXT, at_ms INTEGER NOT NULL, agent TEXT, task TEXT NOT NULL,
  mode TEXT, request TEXT NOT NULL, outcome TEXT NOT NULL, answer TEXT, provider TEXT, model TEXT,
  tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL, cost_usd REAL NOT NULL, latency_ms REAL NOT NULL,
  cached INTEGER NOT NULL, error_code TEXT, error_message TEXT);
CREATE INDEX IF NOT EXISTS audit_llm_calls_run ON audit_llm_calls (run_id, id);
`;

interface Row {
  id: number;
  run_id: string;
  ref: string | null;
  at_ms: number;
  agent: string | null;
  task: string;
  mode: string | null;
  request: string;
  outcome: 'ok' | 'error';
  answer: string | null;
  provider: string | null;
  model: string | null;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
  latency_ms: number;
  cached: number;
  error_code: string | null;
  error_message: string | null;
}

/**
 * Keeps every LLM request of a run and its answer (or failure) in the run ledger, under the request's
 * `ref`, so the audit export can show, per decision, what each agent asked and was told — and, through
 * the same `ref` in the gateway's ledger, the ledger rows (ids, cost) of those calls. Text is redacted
 * before it is stored.
 */
export class AuditRecorder {
  readonly #db: Database.Database;
  readonly #runId: string;
  readonly #redact: Redactor;
  readonly #now: () => number;

  /** On the run ledger's connection (`Ledger.db`); creates its table if missing. */
  /** The redactor applied to what is recorded (the run's other stores use it too). */
  get redactor(): Redactor {
    return this.#redact;
  }

  constructor(db: Database.Database, runId: string, redact: Redactor, now: () => number = Date.now) {
    db.exec(SCHEMA);
    this.#db = db;
    this.#runId = runId;
    this.#redact = redact;
    this.#now = now;
  }

  /** Reads the recorded calls of `runId` from a ledger database (no run needed). */
  static calls(db: Database.Database, runId: string): AuditedCall[] {
    db.exec(SCHEMA);
    const rows = db.prepare('SELECT * FROM audit_llm_calls WHERE run_id = ? ORDER BY id').all(runId) as Row[];
    return rows.map(fromRow);
  }

  /**
   * Middleware that records each request and its answer (or failure) — except while `skip()` says so (a
   * resumed run replaying bars it already traded: their calls were recorded the first time). Probes and
   * cache stores pass through. Put it outermost (`gateway.use(recorder.middleware(), …)`), so that what
   * it keeps is what the agents were told.
   */
  middleware(opts: { skip?: () => boolean } = {}): LlmMiddlewareObject {
    const execute = async <T>(req: LLMRequest<T>, next: LlmNext): Promise<LLMResponse<T>> => {
      if (opts.skip?.() === true) return next(req);
      const at = this.#now();
      const started = performance.now();
      try {
        const res = await next(req);
        this.#record(req, at, { res, latencyMs: performance.now() - started });
        return res;
      } catch (err) {
        // A cache-only lookup that missed made no call and answered nothing: not an LLM call to audit.
        if (!(req.cache?.only === true && err instanceof LLMError && err.code === LLMErrorCode.CACHE_MISS))
          this.#record(req, at, { err, latencyMs: performance.now() - started });
        throw err;
      }
    };
    return { name: 'audit', execute };
  }

  #record<T>(
    req: LLMRequest<T>,
    at: number,
    r: { res: LLMResponse<T>; latencyMs: number } | { err: unknown; latencyMs: number },
  ): void {
    const request = this.#redact.value({
      messages: Array.isArray(req.messages)
        ? req.messages.map((m) => ({ role: m.role, content: m.content }))
        : [],
      ...(req.maxTokens === undefined ? {} : { maxTokens: req.maxTokens }),
      ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
    });
    const ok = 'res' in r && r.res.success;
    const res = 'res' in r ? r.res : undefined;
    const err = 'err' in r ? (r.err as { code?: unknown; message?: unknown }) : undefined;
    const failure =
      res !== undefined && !res.success
        ? { code: res.error?.code, message: res.error?.message ?? 'failed' }
        : err !== undefined
          ? { code: typeof err.code === 'string' ? err.code : undefined, message: String(err.message ?? err) }
          : undefined;
    this.#db
      .prepare(
        `INSERT INTO audit_llm_calls (run_id, ref, at_ms, agent, task, mode, request, outcome, answer, provider,
           model, tokens_in, tokens_out, cost_usd, latency_ms, cached, error_code, error_message)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        this.#runId,
        req.ref ?? null,
        at,
        req.agent ?? null,
        String(req.task),
        req.mode ?? null,
        JSON.stringify(request),
        ok ? 'ok' : 'error',
        res === undefined || !ok ? null : this.#redact.text(res.text),
        res?.provider || null,
        res?.model || null,
        res?.tokensIn ?? 0,
        res?.tokensOut ?? 0,
        res?.costUsd ?? 0,
        r.latencyMs,
        res?.cached === true ? 1 : 0,
        failure?.code ?? null,
        failure === undefined ? null : this.#redact.text(failure.message),
      );
  }
}

function fromRow(r: Row): AuditedCall {
  return {
    id: r.id,
    runId: r.run_id,
    ref: r.ref ?? undefined,
    at: r.at_ms,
    agent: r.agent ?? undefined,
    task: r.task,
    mode: r.mode ?? undefined,
    request: JSON.parse(r.request) as AuditedCall['request'],
    outcome: r.outcome,
    answer: r.answer ?? undefined,
    provider: r.provider ?? undefined,
    model: r.model ?? undefined,
    tokensIn: r.tokens_in,
    tokensOut: r.tokens_out,
    costUsd: r.cost_usd,
    latencyMs: r.latency_ms,
    cached: r.cached === 1,
    error:
      r.error_message === null ? undefined : { code: r.error_code ?? undefined, message: r.error_message },
  };
}
