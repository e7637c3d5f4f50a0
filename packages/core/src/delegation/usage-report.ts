import type { LedgerEntry, ReferenceModel } from '../ledger.ts';

/** Usage of one group of ledger entries (a task type, a model, or everything). */
export interface UsageRow {
  /** The task name, `provider/model`, or `total`. */
  key: string;
  /** Provider calls made (`ok` + `error`). */
  calls: number;
  callsOk: number;
  callsFailed: number;
  /** Requests refused before any call (cooldown, budget, policy…). */
  refusals: number;
  cacheHits: number;
  /** `callsOk / calls`, 0..1; `null` without calls. */
  successRate: number | null;
  /** Tokens of the calls made. */
  tokensIn: number;
  tokensOut: number;
  /** Mean latency of the calls made, ms; `null` without calls. */
  avgLatencyMs: number | null;
  /** USD actually spent (local models cost 0). */
  costUsd: number;
  /** USD the answered requests (calls and cache hits, with their tokens) would have cost on the reference model. */
  referenceCostUsd: number;
  /** `referenceCostUsd - costUsd`. */
  savingsUsd: number;
}

/** Usage over a period, in total, by task type and by model; see {@link usageReport}. */
export interface UsageReport {
  /** Period start and end, epoch ms (inclusive). */
  since: number;
  until: number;
  /** The paid model savings are measured against. */
  referenceModel: ReferenceModel;
  total: UsageRow;
  /** One row per task type, most calls first. */
  byTask: UsageRow[];
  /** One row per `provider/model` (requests refused before routing to a model are left out), most calls first. */
  byModel: UsageRow[];
}

/**
 * Sums ledger entries (e.g. `ledger.since(ms)`) whose `at` lies in `[since, until]` into a usage report.
 * The totals agree with `Ledger.summary` over the same period: calls are `ok` + `error` rows, refusals and
 * cache hits are counted apart, and the reference cost prices every answered request's tokens at
 * `reference`'s rates (USD per 1k tokens).
 */
export function usageReport(
  entries: Iterable<LedgerEntry>,
  reference: ReferenceModel,
  period: { since: number; until: number },
): UsageReport {
  const total = new Acc('total');
  const byTask = new Map<string, Acc>();
  const byModel = new Map<string, Acc>();
  const group = (map: Map<string, Acc>, key: string) => {
    let acc = map.get(key);
    if (acc === undefined) {
      acc = new Acc(key);
      map.set(key, acc);
    }
    return acc;
  };
  for (const e of entries) {
    if (e.at < period.since || e.at > period.until) continue;
    total.add(e, reference);
    group(byTask, e.task).add(e, reference);
    if (e.provider !== undefined && e.model !== undefined)
      group(byModel, `${e.provider}/${e.model}`).add(e, reference);
  }
  const rows = (map: Map<string, Acc>) =>
    [...map.values()].map((a) => a.row()).sort((a, b) => b.calls - a.calls || a.key.localeCompare(b.key));
  return {
    since: period.since,
    until: period.until,
    referenceModel: { ...reference },
    total: total.row(),
    byTask: rows(byTask),
    byModel: rows(byModel),
  };
}

class Acc {
  readonly key: string;
  ok = 0;
  failed = 0;
  refusals = 0;
  cacheHits = 0;
  tokensIn = 0;
  tokensOut = 0;
  latencyMs = 0;
  costUsd = 0;
  referenceCostUsd = 0;

  constructor(key: string) {
    this.key = key;
  }

  add(e: LedgerEntry, ref: ReferenceModel): void {
    if (e.outcome === 'refused') {
      this.refusals += 1;
      return;
    }
    this.referenceCostUsd += (e.tokensIn * ref.inputPer1k + e.tokensOut * ref.outputPer1k) / 1000;
    if (e.outcome === 'cache_hit') {
      this.cacheHits += 1;
      return;
    }
    if (e.outcome === 'ok') this.ok += 1;
    else this.failed += 1;
    this.tokensIn += e.tokensIn;
    this.tokensOut += e.tokensOut;
    this.latencyMs += e.latencyMs;
    this.costUsd += e.costUsd;
  }

  row(): UsageRow {
    const calls = this.ok + this.failed;
    return {
      key: this.key,
      calls,
      callsOk: this.ok,
      callsFailed: this.failed,
      refusals: this.refusals,
      cacheHits: this.cacheHits,
      successRate: calls === 0 ? null : this.ok / calls,
      tokensIn: this.tokensIn,
      tokensOut: this.tokensOut,
      avgLatencyMs: calls === 0 ? null : this.latencyMs / calls,
      costUsd: this.costUsd,
      referenceCostUsd: this.referenceCostUsd,
      savingsUsd: this.referenceCostUsd - this.costUsd,
    };
  }
}
