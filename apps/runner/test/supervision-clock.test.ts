import { ManualClock } from '@orrery/core';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SupervisionClock } from '../src/session/supervision-clock.ts';

const rows = (db: Database.Database) =>
  db.prepare('SELECT time, at FROM supervision_times ORDER BY time').all() as { time: number; at: number }[];

describe('SupervisionClock', () => {
  it('is read only when supervision asks: a run in which nothing fails writes nothing', () => {
    const db = new Database(':memory:');
    const c = SupervisionClock.forRun(db, 'r', { kind: 'wall', clock: new ManualClock(5) });
    for (let t = 0; t < 100; t++) c.step(t);
    expect(rows(db)).toEqual([]);
  });

  it('replays, warms up and follows exactly the readings it recorded, never backwards', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: -1000, max: 1000 })), {
          minLength: 1,
          maxLength: 40,
        }),
        (plan) => {
          const db = new Database(':memory:');
          const wall = new ManualClock(1_000_000);
          let drift = 0;
          const live = SupervisionClock.forRun(db, 'rec', {
            kind: 'wall',
            clock: { now: () => wall.now() + drift },
          });
          const seen = new Map<number, number>();
          plan.forEach(([reads, jump], t) => {
            live.step(t);
            drift += jump; // a wall clock that may even step back (NTP): the readings do not
            if (reads) seen.set(t, live.clock.now());
          });
          const values = [...seen.values()];
          expect(values).toEqual([...values].sort((a, b) => a - b));
          for (const other of [
            SupervisionClock.forRun(db, 'rep', { kind: 'recorded', runId: 'rec' }),
            SupervisionClock.following(db, 'rec'),
          ]) {
            plan.forEach(([reads], t) => {
              other.step(t);
              if (reads) expect(other.clock.now()).toBe(seen.get(t));
            });
          }
          // A resume's warm-up of the recorded run itself, on a clock far in the future.
          const resumed = SupervisionClock.forRun(db, 'rec', { kind: 'wall', clock: new ManualClock(9e12) });
          plan.forEach(([reads], t) => {
            resumed.step(t, true);
            if (reads) expect(resumed.clock.now()).toBe(seen.get(t));
          });
          db.close();
        },
      ),
    );
  });
});
