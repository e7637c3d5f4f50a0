import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TASK_TYPES,
  Ledger,
  type LedgerEntry,
  LLMConfigError,
  openGatewayDb,
  parseDelegationConfig,
  usageReport,
} from '../src/index.ts';

const REF = { name: 'openai/gpt-4o', inputPer1k: 0.0025, outputPer1k: 0.01 };
const DAY = 86_400_000;

function entry(e: Partial<LedgerEntry> & Pick<LedgerEntry, 'at' | 'outcome'>): Omit<LedgerEntry, 'id'> {
  return {
    task: 'quick',
    mode: undefined,
    agent: 'delegate',
    chain: undefined,
    provider: 'ollama',
    model: 'tiny',
    reason: undefined,
    code: undefined,
    message: undefined,
    critical: false,
    tokensIn: 0,
    tokensOut: 0,
    costUsd: 0,
    latencyMs: 0,
    ...e,
  };
}

describe('delegation config', () => {
  it('merges overrides field by field over the built-in task types and adds new ones', () => {
    const c = parseDelegationConfig({
      tasks: { review: { maxTokens: 300 }, sql: { systemPrompt: 'Write SQLite SQL.', timeoutMs: 5_000 } },
      defaultTask: 'sql',
    });
    expect(c.tasks.review).toEqual({ ...DEFAULT_TASK_TYPES.review, maxTokens: 300 });
    expect(c.tasks.sql).toEqual({ systemPrompt: 'Write SQLite SQL.', timeoutMs: 5_000 });
    expect(Object.keys(c.tasks)).toEqual(expect.arrayContaining(['quick', 'coding', 'heavy', 'sql']));
    expect(c).toMatchObject({ defaultTask: 'sql', concurrency: 4 });
    expect(parseDelegationConfig(undefined).defaultTask).toBe('quick');
  });

  it('names the offending key', () => {
    const cases: [unknown, string][] = [
      [{ tasks: { review: { maxTokens: 0 } } }, 'tasks.review.maxTokens'],
      [{ tasks: { review: { temperture: 1 } } }, 'tasks.review'],
      [{ defaultTask: 'nope' }, 'defaultTask'],
      [{ concurrency: 0 }, 'concurrency'],
      [{ tasks: { 'Bad Name': {} } }, 'tasks.Bad Name'],
    ];
    for (const [input, path] of cases) {
      const err = (() => {
        try {
          parseDelegationConfig(input);
        } catch (e) {
          return e;
        }
      })();
      expect(err, path).toBeInstanceOf(LLMConfigError);
      expect((err as LLMConfigError).path, JSON.stringify(input)).toBe(path);
    }
  });
});

describe('usageReport', () => {
  it('computes calls, tokens, latency, success rate and savings by task and model on a known ledger', () => {
    const now = Date.UTC(2026, 2, 10);
    const rows = [
      entry({ at: now - 1_000, outcome: 'ok', tokensIn: 1000, tokensOut: 500, latencyMs: 200 }),
      entry({ at: now - 2_000, outcome: 'ok', tokensIn: 3000, tokensOut: 1500, latencyMs: 400 }),
      entry({ at: now - 3_000, outcome: 'error', code: 'ORRERY_LLM_TIMEOUT', latencyMs: 1200 }),
      entry({
        at: now - 4_000,
        outcome: 'ok',
        task: 'review',
        provider: 'openai',
        model: 'gpt-4o-mini',
        tokensIn: 2000,
        tokensOut: 1000,
        costUsd: 0.0009,
        latencyMs: 600,
      }),
      entry({ at: now - 5_000, outcome: 'refused', reason: 'cooldown', code: 'ORRERY_LLM_COOLING_DOWN' }),
      entry({ at: now - 8 * DAY, outcome: 'ok', tokensIn: 99_999, tokensOut: 99_999, latencyMs: 1 }),
    ].map((e, i) => ({ ...e, id: i + 1 }));
    const r = usageReport(rows, REF, { since: now - 7 * DAY, until: now });
    // Reference: (1000·0.0025 + 500·0.01)/1000 = 0.0075; (3000·…+1500·…) = 0.0225; (2000·…+1000·…) = 0.015.
    expect(r.total).toMatchObject({
      calls: 4,
      callsOk: 3,
      callsFailed: 1,
      refusals: 1,
      successRate: 0.75,
      tokensIn: 6000,
      tokensOut: 3000,
      avgLatencyMs: (200 + 400 + 1200 + 600) / 4,
    });
    expect(r.total.costUsd).toBeCloseTo(0.0009, 12);
    expect(r.total.referenceCostUsd).toBeCloseTo(0.045, 12);
    expect(r.total.savingsUsd).toBeCloseTo(0.0441, 12);
    expect(r.byTask.map((t) => [t.key, t.calls, t.successRate])).toEqual([
      ['quick', 3, 2 / 3],
      ['review', 1, 1],
    ]);
    expect(r.byModel.map((m) => [m.key, m.calls, m.refusals, m.avgLatencyMs])).toEqual([
      ['ollama/tiny', 3, 1, 600],
      ['openai/gpt-4o-mini', 1, 0, 600],
    ]);
    expect(r.byModel[0]?.savingsUsd).toBeCloseTo(0.03, 12);
    expect(r.byModel[1]?.savingsUsd).toBeCloseTo(0.015 - 0.0009, 12);
  });

  it('gives null rates and latencies without calls', () => {
    const r = usageReport([], REF, { since: 0, until: 1 });
    expect(r.total).toMatchObject({ calls: 0, successRate: null, avgLatencyMs: null, savingsUsd: 0 });
    expect(r.byTask).toEqual([]);
  });

  it('property: its totals agree with Ledger.summary over the same SQLite ledger', () => {
    const outcome = fc.constantFrom('ok', 'error', 'refused', 'cache_hit') as fc.Arbitrary<
      LedgerEntry['outcome']
    >;
    const row = fc.record({
      ago: fc.integer({ min: 0, max: 3 * DAY }),
      outcome,
      task: fc.constantFrom('quick', 'review', 'heavy'),
      model: fc.constantFrom('tiny', 'cheap', 'smart'),
      tokensIn: fc.integer({ min: 0, max: 50_000 }),
      tokensOut: fc.integer({ min: 0, max: 50_000 }),
      costUsd: fc.double({ min: 0, max: 2, noNaN: true }),
      latencyMs: fc.double({ min: 0, max: 10_000, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 40 }), fc.integer({ min: 1, max: 3 }), (rows, days) => {
        const now = Date.UTC(2026, 5, 1);
        const db = openGatewayDb(':memory:');
        try {
          const ledger = new Ledger(db, REF, () => now);
          for (const r of rows) {
            const refused = r.outcome === 'refused';
            ledger.record(
              entry({
                at: now - r.ago,
                outcome: r.outcome,
                task: r.task,
                model: r.model,
                reason: refused ? 'budget' : undefined,
                tokensIn: refused ? 0 : r.tokensIn,
                tokensOut: refused ? 0 : r.tokensOut,
                costUsd: refused || r.outcome === 'cache_hit' ? 0 : r.costUsd,
                latencyMs: refused ? 0 : r.latencyMs,
              }),
            );
          }
          const s = ledger.summary({ days });
          const u = usageReport(ledger.since(s.since), REF, { since: s.since, until: s.until }).total;
          expect([u.calls, u.callsOk, u.callsFailed, u.cacheHits]).toEqual([
            s.calls,
            s.callsOk,
            s.callsFailed,
            s.cacheHits,
          ]);
          expect(u.refusals).toBe(Object.values(s.refusals).reduce((a, b) => a + b, 0));
          expect([u.tokensIn, u.tokensOut]).toEqual([s.tokensIn, s.tokensOut]);
          expect(u.costUsd).toBeCloseTo(s.costUsd, 9);
          expect(u.referenceCostUsd).toBeCloseTo(s.referenceCostUsd, 9);
          expect(u.savingsUsd).toBeCloseTo(s.savingsUsd, 9);
        } finally {
          db.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
