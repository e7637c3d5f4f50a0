import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { RunnerError, RunnerErrorCode } from '../errors.ts';

/** Every virtual key starts with this, so a server tells a virtual key from its own token at a glance. */
export const VIRTUAL_KEY_PREFIX = 'sk-orrery-';

/** What `orrery keys create` is given. */
export interface NewVirtualKey {
  /** Shown in the ledger (`agent: key:NAME`), in metrics and in errors; unique among active keys. */
  name: string;
  /** Tokens (in + out) every call made with the key may use together (unlimited when omitted). */
  maxTokens?: number | undefined;
  /** Provider calls the key may make (unlimited when omitted). */
  maxCalls?: number | undefined;
  /** USD the key may spend (unlimited when omitted). */
  maxUsd?: number | undefined;
  /** Task types the key may ask for (any when omitted). */
  tasks?: readonly string[] | undefined;
}

/** A stored key: never the key itself, only its SHA-256 and a hint of its first characters. */
export interface VirtualKeyRecord {
  id: string;
  name: string;
  /** The first characters of the key and `…`, to recognise it in a list. */
  hint: string;
  maxTokens: number | undefined;
  maxCalls: number | undefined;
  maxUsd: number | undefined;
  tasks: readonly string[] | undefined;
  createdMs: number;
  revokedMs: number | undefined;
  /** Usage written by every server that served the key (flushed after each event-loop turn). */
  usedTokens: number;
  usedCalls: number;
  usedUsd: number;
}

interface Row {
  id: string;
  name: string;
  hint: string;
  max_tokens: number | null;
  max_calls: number | null;
  max_usd: number | null;
  tasks: string | null;
  created_ms: number;
  revoked_ms: number | null;
  used_tokens: number;
  used_calls: number;
  used_usd: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS serve_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  hint TEXT NOT NULL,
  max_tokens INTEGER,
  max_calls INTEGER,
  max_usd REAL,
  tasks TEXT,
  created_ms INTEGER NOT NULL,
  revoked_ms INTEGER,
  used_tokens INTEGER NOT NULL DEFAULT 0,
  used_calls INTEGER NOT NULL DEFAULT 0,
  used_usd REAL NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX IF NOT EXISTS serve_keys_active_name ON serve_keys (name) WHERE revoked_ms IS NULL;
`;

/** How long a key's usage may wait in memory before it is written. */
export const USAGE_FLUSH_MS = 250;

const NAME_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
const TASK_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The SHA-256 (hex) a key is stored and looked up by. */
export function hashVirtualKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function fromRow(r: Row): VirtualKeyRecord {
  return {
    id: r.id,
    name: r.name,
    hint: r.hint,
    maxTokens: r.max_tokens ?? undefined,
    maxCalls: r.max_calls ?? undefined,
    maxUsd: r.max_usd ?? undefined,
    tasks: r.tasks === null ? undefined : (JSON.parse(r.tasks) as string[]),
    createdMs: r.created_ms,
    revokedMs: r.revoked_ms ?? undefined,
    usedTokens: r.used_tokens,
    usedCalls: r.used_calls,
    usedUsd: r.used_usd,
  };
}

/**
 * Virtual keys of `orrery serve` in SQLite (the gateway's file by default, table `serve_keys`): each a
 * bearer key bound to a budget (tokens, calls, USD) and optionally to task types. Only the key's SHA-256
 * is stored; the key itself is returned once, by {@link create}. Usage is added with {@link addUsage}
 * (increments, so several servers sharing the file add up). WAL mode and a 5 s busy timeout, like the
 * gateway's own connection.
 */
export class VirtualKeyStore {
  readonly #db: Database.Database;
  readonly #now: () => number;
  readonly #byHash: Database.Statement<[string], Row>;
  readonly #dataVersion: Database.Statement<[], number>;
  /** Records of presented keys, valid while no other connection has written the file. */
  readonly #seen = new Map<string, VirtualKeyRecord>();
  #version = -1;
  /** The file's version was read during this event-loop turn (reset on the next turn). */
  #checked = false;
  readonly #pending = new Map<string, { tokens: number; calls: number; usd: number }>();
  #flushTimer: NodeJS.Timeout | undefined;

  /** @throws RunnerError `ORRERY_USAGE` naming the file when it cannot be opened. */
  constructor(path: string, now: () => number = Date.now) {
    try {
      this.#db = new Database(path, { timeout: 5_000 });
      if (path !== ':memory:') {
        this.#db.pragma('journal_mode = WAL');
        // The file is the gateway's: its write-behind runs the WAL checkpoints, off the requests' path. An
        // automatic one here would checkpoint the gateway's whole WAL inside a usage flush (measured:
        // 70 ms with the event loop blocked, every 250 ms under load).
        this.#db.pragma('wal_autocheckpoint = 0');
      }
      this.#db.pragma('synchronous = NORMAL');
      this.#db.exec(SCHEMA);
    } catch (err) {
      throw new RunnerError(
        RunnerErrorCode.USAGE,
        `cannot open the virtual keys database ${path}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    this.#now = now;
    this.#byHash = this.#db.prepare('SELECT * FROM serve_keys WHERE hash = ?');
    this.#dataVersion = this.#db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /**
   * Issues a key. Returns the key (shown once; only its hash is kept) and its record.
   * @throws RunnerError `ORRERY_USAGE` for a bad name, limit or task, or a name an active key has.
   */
  create(spec: NewVirtualKey): { key: string; record: VirtualKeyRecord } {
    if (!NAME_RE.test(spec.name)) {
      throw new RunnerError(
        RunnerErrorCode.USAGE,
        `--name ${JSON.stringify(spec.name)}: must be 1-64 characters of A-Z a-z 0-9 _ . : -`,
      );
    }
    for (const [flag, v] of [
      ['--max-tokens', spec.maxTokens],
      ['--max-calls', spec.maxCalls],
    ] as const) {
      if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
        throw new RunnerError(RunnerErrorCode.USAGE, `${flag} must be an integer >= 1, got ${v}`);
      }
    }
    if (spec.maxUsd !== undefined && !(Number.isFinite(spec.maxUsd) && spec.maxUsd >= 0)) {
      throw new RunnerError(RunnerErrorCode.USAGE, `--max-usd must be a number >= 0, got ${spec.maxUsd}`);
    }
    const tasks = spec.tasks === undefined ? undefined : [...new Set(spec.tasks)];
    for (const t of tasks ?? []) {
      if (!TASK_RE.test(t)) {
        throw new RunnerError(
          RunnerErrorCode.USAGE,
          `--tasks: ${JSON.stringify(t)} is not a task type (1-128 characters of A-Z a-z 0-9 _ . : -)`,
        );
      }
    }
    if (tasks !== undefined && tasks.length === 0) {
      throw new RunnerError(RunnerErrorCode.USAGE, '--tasks: name at least one task type');
    }
    const key = `${VIRTUAL_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const id = `key_${randomBytes(8).toString('hex')}`;
    try {
      this.#db
        .prepare(
          `INSERT INTO serve_keys (id, name, hash, hint, max_tokens, max_calls, max_usd, tasks, created_ms)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          spec.name,
          hashVirtualKey(key),
          `${key.slice(0, VIRTUAL_KEY_PREFIX.length + 4)}…`,
          spec.maxTokens ?? null,
          spec.maxCalls ?? null,
          spec.maxUsd ?? null,
          tasks === undefined ? null : JSON.stringify(tasks),
          this.#now(),
        );
    } catch (err) {
      if (/UNIQUE constraint failed: serve_keys.name/.test((err as Error).message)) {
        throw new RunnerError(
          RunnerErrorCode.USAGE,
          `--name ${spec.name}: an active key already has this name; revoke it first or choose another`,
        );
      }
      throw err;
    }
    const record = this.get(id);
    if (record === undefined) throw new Error(`key ${id} vanished after insert`);
    return { key, record };
  }

  /** The record with this id (revoked ones included). */
  get(id: string): VirtualKeyRecord | undefined {
    this.flush();
    const row = this.#db.prepare('SELECT * FROM serve_keys WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /**
   * The record of a presented key (revoked ones included: the caller says why it refuses), by its hash.
   * Answers from memory while no other connection has committed to the file (`PRAGMA data_version`, read
   * once per event-loop turn), so a revocation by another process is seen from the next turn on.
   */
  lookup(key: string): VirtualKeyRecord | undefined {
    if (!this.#checked) {
      this.#checked = true;
      setImmediate(() => {
        this.#checked = false;
      });
      const version = this.#dataVersion.get() as number;
      if (version !== this.#version) {
        this.#seen.clear();
        this.#version = version;
      }
    }
    const hit = this.#seen.get(key);
    if (hit !== undefined) return hit;
    const row = this.#byHash.get(hashVirtualKey(key));
    if (row === undefined) return undefined;
    const record = fromRow(row);
    if (this.#seen.size >= 10_000) this.#seen.clear();
    this.#seen.set(key, record);
    return record;
  }

  /** Every key, oldest first; revoked ones only with `all`. */
  list(options: { all?: boolean } = {}): VirtualKeyRecord[] {
    this.flush();
    const rows = this.#db
      .prepare(
        `SELECT * FROM serve_keys ${options.all === true ? '' : 'WHERE revoked_ms IS NULL'} ORDER BY created_ms, id`,
      )
      .all() as Row[];
    return rows.map(fromRow);
  }

  /**
   * Revokes the active key with this name or id; a server refuses it from its next request on.
   * @returns the revoked record, or `undefined` when no active key matches.
   */
  revoke(nameOrId: string): VirtualKeyRecord | undefined {
    const row = this.#db
      .prepare('SELECT * FROM serve_keys WHERE revoked_ms IS NULL AND (name = ? OR id = ?)')
      .get(nameOrId, nameOrId) as Row | undefined;
    if (row === undefined) return undefined;
    this.#db.prepare('UPDATE serve_keys SET revoked_ms = ? WHERE id = ?').run(this.#now(), row.id);
    this.#seen.clear();
    return this.get(row.id);
  }

  /**
   * Adds usage to a key; written in one transaction at most {@link USAGE_FLUSH_MS} later (every read, and
   * `close`, flushes first), so a crash loses at most that much of a key's usage — its cap is enforced in
   * memory meanwhile.
   */
  addUsage(id: string, tokens: number, calls: number, usd: number): void {
    if (tokens === 0 && calls === 0 && usd === 0) return;
    const p = this.#pending.get(id) ?? { tokens: 0, calls: 0, usd: 0 };
    p.tokens += tokens;
    p.calls += calls;
    p.usd += usd;
    this.#pending.set(id, p);
    if (this.#flushTimer === undefined) {
      this.#flushTimer = setTimeout(() => this.flush(), USAGE_FLUSH_MS);
      this.#flushTimer.unref();
    }
  }

  /** Writes pending usage now. */
  flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#pending.size === 0 || !this.#db.open) return;
    const update = this.#db.prepare(
      'UPDATE serve_keys SET used_tokens = used_tokens + ?, used_calls = used_calls + ?, used_usd = used_usd + ? WHERE id = ?',
    );
    const entries = [...this.#pending];
    this.#pending.clear();
    this.#db.transaction(() => {
      for (const [id, p] of entries) update.run(p.tokens, p.calls, p.usd, id);
    })();
  }

  /** Flushes and closes the connection. Idempotent. */
  close(): void {
    if (!this.#db.open) return;
    this.flush();
    this.#db.close();
  }
}
