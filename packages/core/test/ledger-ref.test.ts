import { tempDir } from '@orrery/testkit';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GATEWAY_SCHEMA_VERSION, openGatewayDb } from '../src/index.ts';
import { ask, type Harness, harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

describe('ledger rows carry the request’s correlation id (LLMRequest.ref)', () => {
  it('records ref on answers, cache hits, errors and refusals, and finds rows by it', async () => {
    const g = h.gateway({ budget: { maxCallsPerHour: 3, reserveCalls: 0 } });
    h.server.setDefault(() => ({ text: 'ok' }));
    await g.execute({
      task: 'analysis',
      messages: ask('a'),
      ref: 'cycle-1/planet:risk/1',
      cache: { ttlMs: 60_000 },
    });
    await g.execute({
      task: 'analysis',
      messages: ask('a'),
      ref: 'cycle-2/planet:risk/1',
      cache: { ttlMs: 60_000 },
    });
    h.server.script('cheap', [{ status: 500 }]);
    await g.execute({ task: 'analysis', messages: ask('b'), ref: 'cycle-2/sun/1' }).catch(() => undefined);
    await g.execute({ task: 'analysis', messages: ask('c') }); // the third (and last) call of the hour: the 500 counted
    await g.execute({ task: 'analysis', messages: ask('d'), ref: 'cycle-3/sun/1' }).catch(() => undefined);

    expect(g.ledger.byRef('cycle-1/planet:risk/1').map((e) => e.outcome)).toEqual(['ok']);
    expect(g.ledger.byRef('cycle-2/planet:risk/1').map((e) => e.outcome)).toEqual(['cache_hit']);
    expect(g.ledger.byRef('cycle-2/sun/1').map((e) => e.outcome)).toEqual(['error']);
    expect(g.ledger.byRef('cycle-3/sun/1')).toMatchObject([{ outcome: 'refused', reason: 'budget' }]);
    expect(g.ledger.byRef('nothing')).toEqual([]);
    const all = g.ledger.since();
    expect(all.map((e) => e.ref)).toEqual([
      'cycle-1/planet:risk/1',
      'cycle-2/planet:risk/1',
      'cycle-2/sun/1',
      undefined,
      'cycle-3/sun/1',
    ]);
    expect(g.ledger.byRef('cycle-1/planet:risk/1')[0]?.id).toBe(all[0]?.id);
  });

  it('a gateway file written before the column existed gains it on open and keeps its rows', () => {
    const dir = tempDir('orrery-ledger-ref-');
    try {
      const path = `${dir.path}/old.db`;
      const old = new Database(path);
      old.exec(`CREATE TABLE ledger (id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, task TEXT NOT NULL, mode TEXT,
        agent TEXT, chain TEXT, provider TEXT, model TEXT, outcome TEXT NOT NULL, reason TEXT, code TEXT,
        message TEXT, critical INTEGER NOT NULL, tokens_in INTEGER NOT NULL, tokens_out INTEGER NOT NULL,
        cost_usd REAL NOT NULL, latency_ms REAL NOT NULL);
        INSERT INTO ledger (at_ms, task, outcome, critical, tokens_in, tokens_out, cost_usd, latency_ms)
        VALUES (1, 'analysis', 'ok', 0, 10, 5, 0, 1);
        PRAGMA user_version = 1;`);
      old.close();
      const db = openGatewayDb(path);
      const cols = (db.prepare('PRAGMA table_info(ledger)').all() as { name: string }[]).map((c) => c.name);
      expect(cols).toContain('ref');
      expect(db.pragma('user_version', { simple: true })).toBe(GATEWAY_SCHEMA_VERSION);
      expect(db.prepare('SELECT count(*) AS n FROM ledger').get()).toEqual({ n: 1 });
      db.close();
      // Opening again (another process, or a restart) is a no-op.
      openGatewayDb(path).close();
    } finally {
      dir.remove();
    }
  });
});
