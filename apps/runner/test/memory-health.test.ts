import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MemoryHealthWriter, type MemoryStatsLike, readMemoryHealth } from '../src/runs/memory-health.ts';

const T0 = Date.UTC(2026, 0, 1);

describe('memory health in the run ledger (issue 18 item 6)', () => {
  it('is written when it changes, at most once per interval, and read back with the open period counting', () => {
    const db = new Database(':memory:');
    let now = T0;
    let stats: MemoryStatsLike = {
      index: 'ok',
      degradedMs: 0,
      degradedPeriods: [],
      restarts: 0,
      episodes: 3,
      indexed: 3,
    };
    let reads = 0;
    const writer = new MemoryHealthWriter(
      db,
      'r',
      () => {
        reads++;
        return stats;
      },
      { now: () => now, minIntervalMs: 1000 },
    );
    expect(readMemoryHealth(db, 'r', now, true)).toBeNull();
    writer.write();
    expect(readMemoryHealth(db, 'r', now, true)).toMatchObject({ index: 'ok', unindexed: 0, episodes: 3 });

    // Chroma dies: within the interval memory is not even read; after it, the change is written.
    stats = { ...stats, index: 'down', degradedPeriods: [{ from: T0 + 500, to: undefined }], episodes: 5 };
    now = T0 + 600;
    writer.write();
    expect(reads).toBe(1);
    expect(readMemoryHealth(db, 'r', now, true)!.index).toBe('ok');
    now = T0 + 1000;
    stats = { ...stats, degradedMs: 500 };
    writer.write();
    const live = readMemoryHealth(db, 'r', T0 + 61_000, true)!;
    expect(live).toMatchObject({ index: 'down', unindexed: 2, periods: [{ from: T0 + 500, to: null }] });
    // A running run's open period counts up to the read; a finished one's stays as written.
    expect(live.degradedMsNow).toBe(500 + 60_000);
    expect(readMemoryHealth(db, 'r', T0 + 61_000, false)!.degradedMsNow).toBe(500);

    // Nothing changed: no write, even after the interval (the row keeps its time).
    now = T0 + 5000;
    stats = { ...stats, degradedMs: 4500 };
    writer.write();
    expect(readMemoryHealth(db, 'r', now, false)!.asOfMs).toBe(T0 + 1000);
    // At the end of the run: written whatever it is.
    writer.write(true);
    expect(readMemoryHealth(db, 'r', now, false)).toMatchObject({ asOfMs: T0 + 5000, degradedMsNow: 4500 });
    db.close();
  });

  it('writes nothing without memory', () => {
    const db = new Database(':memory:');
    new MemoryHealthWriter(db, 'r', () => null).write(true);
    expect(readMemoryHealth(db, 'r', T0, true)).toBeNull();
    db.close();
  });
});
