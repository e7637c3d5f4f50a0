import type Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCycle, encodeCycle } from '../src/cycle-codec.ts';
import { Ledger } from '../src/ledger-db.ts';

const decision = (symbol: string) => ({
  symbol,
  action: 'buy',
  targetFraction: 0.5,
  confidence: 0.7,
  rationale: 'trend',
  source: 'consensus',
});
const record = {
  symbol: 'SPY',
  time: 1_000,
  mode: 'LIGHT_REASONING',
  modeReason: 'changes',
  regime: 'up/normal',
  decision: decision('SPY'),
  consensusDecision: decision('SPY'),
  calls: 0,
  tokensIn: 0,
  tokensOut: 0,
  costUsd: 0,
  stagesMs: { sense: 1.25, decide: 0.5 },
  planets: [{ planet: 'technical', status: 'ok', signal: 0.2, confidence: 0.4 }],
  criticalUpdates: [],
  changedFeatures: ['price'],
  clamps: [],
  failedMoons: [],
  faults: [],
  messages: [{ type: 'moon.reading', sender: 'moon.change', count: 1 }],
  inputs: { bar: { time: 1_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10 } },
};
const row = { symbol: 'SPY', time: 1_000, mode: 'LIGHT_REASONING' };
const { stagesMs: _, ...withoutTimings } = record;

describe('cycle records in the ledger', () => {
  it('version 2 stores no column twice, no timings and no empty list, and reads back the record', () => {
    const text = encodeCycle(record, row);
    const stored = JSON.parse(text) as Record<string, unknown>;
    expect(stored.$v).toBe(2);
    for (const k of [
      'symbol',
      'time',
      'mode',
      'stagesMs',
      'clamps',
      'faults',
      'failedMoons',
      'criticalUpdates',
    ])
      expect(stored).not.toHaveProperty(k);
    expect(stored.decision).not.toHaveProperty('symbol');
    expect(stored.changedFeatures).toEqual(['price']);
    expect(text.length).toBeLessThan(JSON.stringify(record).length);
    expect(decodeCycle(text, row)).toEqual(withoutTimings);
  });

  it('a record not shaped like an agents cycle record is stored whole and read back as it was', () => {
    for (const other of [
      { symbol: 'SPY', time: 1_000, mode: 'LIGHT_REASONING', decision: decision('SPY') }, // lists missing
      { ...record, symbol: 'QQQ' }, // not this row's
      { a: 1 },
      null,
    ]) {
      const text = encodeCycle(other, row);
      expect(text).toBe(JSON.stringify(other));
      expect(decodeCycle(text, row)).toEqual(other);
    }
  });

  it('rows written before version 2 (the whole record as JSON) are still read', () => {
    const ledger = Ledger.open(':memory:');
    try {
      ledger.createRun('old', { initialCash: 1000 } as never, {}, 0);
      const db: Database.Database = ledger.db;
      db.prepare(
        'INSERT INTO cycles (run_id, symbol, time, mode, record, portfolio) VALUES (?, ?, ?, ?, ?, ?)',
      ).run('old', 'SPY', 1_000, 'LIGHT_REASONING', JSON.stringify(record), '{"equity":1000}');
      ledger.commitStep('old', {
        time: 2_000,
        fills: [],
        orders: [],
        state: { cash: 1000, positions: {}, openOrders: [], marks: {} },
        equity: 1000,
        cycles: [{ ...row, time: 2_000, record: { ...record, time: 2_000 }, portfolio: { equity: 1000 } }],
      });
      const [old, current] = ledger.cycles('old');
      expect(old!.record).toEqual(record); // as written, timings included
      expect(current!.record).toEqual({ ...withoutTimings, time: 2_000 });
      const raw = db.prepare('SELECT record FROM cycles WHERE time = 2000').get() as { record: string };
      expect(JSON.parse(raw.record).$v).toBe(2);
    } finally {
      ledger.close();
    }
  });

  it('writes exactly the text the first version-2 encoder wrote (spread copies), for records in any key order', () => {
    type Loose = Record<string, unknown>;
    const LISTS = ['criticalUpdates', 'changedFeatures', 'clamps', 'failedMoons', 'faults'];
    // The encoder as first written, kept here as the reference of the stored text.
    const reference = (r: Loose): string => {
      const { symbol: _s, time: _t, mode: _m, stagesMs: _ms, ...rest } = r;
      const out: Loose = { $v: 2, ...rest };
      for (const k of LISTS) if ((out[k] as unknown[]).length === 0) delete out[k];
      const { symbol: _d, ...d } = r.decision as Loose;
      out.decision = d;
      if (typeof r.consensusDecision === 'object' && r.consensusDecision !== null) {
        const { symbol: _c, ...c } = r.consensusDecision as Loose;
        out.consensusDecision = c;
      }
      return JSON.stringify(out);
    };
    const entries = Object.entries(record);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }),
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue(), { maxKeys: 4 }),
        fc.subarray(LISTS),
        (ordered, extra, filled) => {
          const r: Loose = Object.fromEntries([
            ...ordered,
            ...Object.entries(extra).filter(([k]) => !(k in record) && k !== '$v'),
          ]);
          for (const k of filled) r[k] = ['x'];
          expect(encodeCycle(r, row)).toBe(reference(r));
        },
      ),
    );
  });
});
