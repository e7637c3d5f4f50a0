import type Database from 'better-sqlite3';
import { type LearningDbTarget, openLearningDb } from './learning-db.ts';

/** One event in a prompt's history. */
export interface PromptHistoryEntry {
  id: number;
  promptId: string;
  /** Epoch ms. */
  at: number;
  /**
   * `defined`: variants registered (or added); `adopted`: a winner was adopted; `concluded`: a
   * fixed-horizon test ran once and found no winner.
   */
  event: 'defined' | 'adopted' | 'concluded';
  /** The adopted variant (for `adopted`). */
  variant?: string;
  /** The variants defined, or the test results that decided the adoption. */
  evidence: Record<string, unknown>;
}

/** A variant as stored. */
export interface StoredVariant {
  id: string;
  text: string;
  /** Definition order (the control is 0). */
  position: number;
}

/** One outcome as stored. */
export interface StoredPromptOutcome {
  variant: string;
  success: boolean | undefined;
  value: number | undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS prompt_variants (
  prompt_id TEXT NOT NULL, variant_id TEXT NOT NULL, text TEXT NOT NULL, position INTEGER NOT NULL,
  PRIMARY KEY (prompt_id, variant_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS prompt_outcomes (
  prompt_id TEXT NOT NULL, key TEXT NOT NULL, variant_id TEXT NOT NULL, at_ms INTEGER NOT NULL,
  success INTEGER, value REAL,
  PRIMARY KEY (prompt_id, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS prompt_history (
  id INTEGER PRIMARY KEY, prompt_id TEXT NOT NULL, at_ms INTEGER NOT NULL, event TEXT NOT NULL,
  variant_id TEXT, evidence TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS prompt_history_prompt ON prompt_history (prompt_id, id);
`;

/** Prompt evolution's SQLite tables (WAL): variants, outcomes per variant, history. */
export class PromptStore {
  readonly #db: Database.Database;
  readonly #owned: boolean;

  /** Opens the file at `target`, or uses a shared connection (its transactions then nest in the caller's). */
  constructor(target: LearningDbTarget) {
    const { db, owned } = openLearningDb(target, SCHEMA);
    this.#db = db;
    this.#owned = owned;
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  /** The variants of a prompt in definition order (empty when it is unknown). */
  variants(promptId: string): StoredVariant[] {
    return this.#db
      .prepare(
        'SELECT variant_id AS id, text, position FROM prompt_variants WHERE prompt_id = ? ORDER BY position',
      )
      .all(promptId) as StoredVariant[];
  }

  /** Adds a variant at `position`. */
  addVariant(promptId: string, v: { id: string; text: string }, position: number): void {
    this.#db
      .prepare('INSERT INTO prompt_variants (prompt_id, variant_id, text, position) VALUES (?, ?, ?, ?)')
      .run(promptId, v.id, v.text, position);
  }

  /** Stores an outcome; false when one was already stored for this key. */
  addOutcome(
    promptId: string,
    key: string,
    variant: string,
    at: number,
    success: boolean | undefined,
    value: number | undefined,
  ): boolean {
    return (
      this.#db
        .prepare(
          'INSERT OR IGNORE INTO prompt_outcomes (prompt_id, key, variant_id, at_ms, success, value) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(promptId, key, variant, at, success === undefined ? null : success ? 1 : 0, value ?? null)
        .changes > 0
    );
  }

  /** Every outcome of a prompt, in the order recorded. */
  outcomes(promptId: string): StoredPromptOutcome[] {
    const rows = this.#db
      .prepare(
        'SELECT variant_id, success, value FROM prompt_outcomes WHERE prompt_id = ? ORDER BY at_ms, key',
      )
      .all(promptId) as { variant_id: string; success: number | null; value: number | null }[];
    return rows.map((r) => ({
      variant: r.variant_id,
      success: r.success === null ? undefined : r.success === 1,
      value: r.value ?? undefined,
    }));
  }

  /** Appends a history event; returns it. */
  addHistory(
    promptId: string,
    at: number,
    event: PromptHistoryEntry['event'],
    variant: string | undefined,
    evidence: Record<string, unknown>,
  ): PromptHistoryEntry {
    const info = this.#db
      .prepare(
        'INSERT INTO prompt_history (prompt_id, at_ms, event, variant_id, evidence) VALUES (?, ?, ?, ?, ?)',
      )
      .run(promptId, at, event, variant ?? null, JSON.stringify(evidence));
    return {
      id: Number(info.lastInsertRowid),
      promptId,
      at,
      event,
      ...(variant === undefined ? {} : { variant }),
      evidence,
    };
  }

  /** A prompt's history, oldest first. */
  history(promptId: string): PromptHistoryEntry[] {
    const rows = this.#db
      .prepare(
        'SELECT id, prompt_id, at_ms, event, variant_id, evidence FROM prompt_history WHERE prompt_id = ? ORDER BY id',
      )
      .all(promptId) as {
      id: number;
      prompt_id: string;
      at_ms: number;
      event: PromptHistoryEntry['event'];
      variant_id: string | null;
      evidence: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      promptId: r.prompt_id,
      at: r.at_ms,
      event: r.event,
      ...(r.variant_id === null ? {} : { variant: r.variant_id }),
      evidence: JSON.parse(r.evidence) as Record<string, unknown>,
    }));
  }

  /** The adopted variant of a prompt, if any (the latest adoption). */
  adopted(promptId: string): string | undefined {
    const r = this.#db
      .prepare(
        "SELECT variant_id FROM prompt_history WHERE prompt_id = ? AND event = 'adopted' ORDER BY id DESC LIMIT 1",
      )
      .get(promptId) as { variant_id: string } | undefined;
    return r?.variant_id;
  }

  /** Forgets a prompt: its variants, outcomes and history. */
  clear(promptId: string): void {
    this.transaction(() => {
      for (const table of ['prompt_variants', 'prompt_outcomes', 'prompt_history'])
        this.#db.prepare(`DELETE FROM ${table} WHERE prompt_id = ?`).run(promptId);
    });
  }

  /** Forgets every prompt whose id starts with `prefix` (e.g. a run's `<run id>:`); returns the rows removed. */
  clearPrefix(prefix: string): number {
    return this.transaction(() => {
      let n = 0;
      for (const table of ['prompt_variants', 'prompt_outcomes', 'prompt_history'])
        n += this.#db
          .prepare(`DELETE FROM ${table} WHERE substr(prompt_id, 1, ?) = ?`)
          .run(prefix.length, prefix).changes;
      return n;
    });
  }

  /** Closes the database when this store opened it. Idempotent. */
  close(): void {
    if (this.#owned && this.#db.open) this.#db.close();
  }
}
