import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openGatewayDb, type SqliteDb } from '../src/sqlite.ts';
import { WriteBehind } from '../src/write-behind.ts';

let dir: string;
let db: SqliteDb;
let other: Database.Database;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'orrery-write-behind-'));
  db = openGatewayDb(join(dir, 'g.db'));
  db.exec('CREATE TABLE t (n INTEGER)');
  other = new Database(join(dir, 'g.db'));
});
afterEach(() => {
  other.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const committed = () =>
  (other.prepare('SELECT n FROM t ORDER BY rowid').all() as { n: number }[]).map((r) => r.n);

describe('WriteBehind.submit (group commit)', () => {
  it('settles with the job result once its transaction has committed, after the jobs queued before it', async () => {
    const w = new WriteBehind(db, { checkpoints: false });
    const insert = db.prepare('INSERT INTO t (n) VALUES (?)');
    const seen: number[][] = [];
    w.push(() => insert.run(1));
    const a = w.submit(() => {
      insert.run(2);
      seen.push(committed()); // another connection sees nothing of this transaction yet
      return Number(db.prepare('SELECT count(*) AS c FROM t').pluck().get());
    });
    const b = w.submit(() => insert.run(3).changes);
    expect(committed()).toEqual([]); // nothing runs before the turn ends (or a flush)
    const results = await Promise.all([
      a.then((r) => ({ r, rows: committed() })),
      b.then((r) => ({ r, rows: committed() })),
    ]);
    expect(seen).toEqual([[]]);
    expect(results).toEqual([
      { r: 2, rows: [1, 2, 3] },
      { r: 1, rows: [1, 2, 3] },
    ]);
  });

  it('a synchronous flush runs the submitted jobs at once', async () => {
    const w = new WriteBehind(db, { checkpoints: false });
    const p = w.submit(() => db.prepare('INSERT INTO t (n) VALUES (7)').run().changes);
    w.flush();
    expect(committed()).toEqual([7]);
    await expect(p).resolves.toBe(1);
  });

  it('when the transaction fails, every submitter gets the error and nothing of it is committed', async () => {
    const w = new WriteBehind(db, { checkpoints: false });
    const p = w.submit(() => db.prepare('INSERT INTO t (n) VALUES (1)').run());
    const q = w.submit(() => db.prepare('INSERT INTO missing (n) VALUES (1)').run());
    await expect(p).rejects.toThrow(/no such table: missing/);
    await expect(q).rejects.toThrow(/no such table: missing/);
    expect(committed()).toEqual([]);
  });
});
