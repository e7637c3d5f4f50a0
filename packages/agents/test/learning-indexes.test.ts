import { join } from 'node:path';
import { tempDir } from '@orrery/testkit';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { LearningStore } from '../src/learning/learning-store.ts';

describe('the learning store answers what a refresh asks on every bar from an index', () => {
  const dir = tempDir('orrery-learning-index-');
  afterAll(() => dir.remove());

  it('reverted changes are found without scanning every change of the scope', () => {
    const path = join(dir.path, 'learning.db');
    const store = new LearningStore(path);
    const ids = store.transaction(() =>
      Array.from(
        { length: 500 },
        (_, i) => store.change('run-1', i, `weight:p${i % 7}`, 1, 1.1, { n: i }).id,
      ),
    );
    const revert = store.change('run-1', 501, 'weight:p3', 1.1, 1, { reverts: ids[3] });
    store.markReverted(ids[3]!, revert.id);
    expect(store.revertedChanges('run-1').map((c) => c.id)).toEqual([ids[3]]);
    store.close();
    const db = new Database(path, { readonly: true });
    const plan = db
      .prepare(
        'EXPLAIN QUERY PLAN SELECT * FROM learning_changes WHERE scope = ? AND reverted_by IS NOT NULL ORDER BY id',
      )
      .all('run-1') as { detail: string }[];
    db.close();
    expect(plan.map((p) => p.detail).join(' | ')).toMatch(/USING INDEX learning_changes_reverted/);
  });
});
