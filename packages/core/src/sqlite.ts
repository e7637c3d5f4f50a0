import Database from 'better-sqlite3';

/** The better-sqlite3 handle type used throughout the gateway. */
export type SqliteDb = Database.Database;

/**
 * The schema version written by this code (in `PRAGMA user_version`). 2: the ledger's `ref` column.
 * 3: breaker and burst columns of `cooldowns`.
 */
export const GATEWAY_SCHEMA_VERSION = 3;

/** Columns added after schema 1, with their definitions (added to older files on open). */
const ADDED_COLUMNS: readonly [table: string, column: string, definition: string][] = [
  ['ledger', 'ref', 'TEXT'],
  ['cooldowns', 'struck_ms', 'INTEGER NOT NULL DEFAULT 0'],
  ['cooldowns', 'reason', "TEXT NOT NULL DEFAULT 'rate_limited'"],
  ['cooldowns', 'fails', 'INTEGER NOT NULL DEFAULT 0'],
  ['cooldowns', 'window_ms', 'INTEGER NOT NULL DEFAULT 0'],
  ['cooldowns', 'opens', 'INTEGER NOT NULL DEFAULT 0'],
  ['cooldowns', 'probe_ms', 'INTEGER NOT NULL DEFAULT 0'],
  ['cooldowns', 'note', 'TEXT'],
];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS cooldowns (
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  until_ms INTEGER NOT NULL,
  strikes INTEGER NOT NULL,
  struck_ms INTEGER NOT NULL DEFAULT 0,
  reason TEXT NOT NULL DEFAULT 'rate_limited',
  fails INTEGER NOT NULL DEFAULT 0,
  window_ms INTEGER NOT NULL DEFAULT 0,
  opens INTEGER NOT NULL DEFAULT 0,
  probe_ms INTEGER NOT NULL DEFAULT 0,
  note TEXT,
  PRIMARY KEY (provider, model)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS budget_minutes (
  minute INTEGER PRIMARY KEY,
  calls INTEGER NOT NULL,
  tokens INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS cache (
  key TEXT PRIMARY KEY,
  task TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  text TEXT NOT NULL,
  tokens_in INTEGER NOT NULL,
  tokens_out INTEGER NOT NULL,
  features TEXT,
  thresholds TEXT
);
CREATE INDEX IF NOT EXISTS cache_expiry ON cache (expires_ms);
CREATE TABLE IF NOT EXISTS ledger (
  id INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  task TEXT NOT NULL,
  mode TEXT,
  agent TEXT,
  chain TEXT,
  ref TEXT,
  provider TEXT,
  model TEXT,
  outcome TEXT NOT NULL,
  reason TEXT,
  code TEXT,
  message TEXT,
  critical INTEGER NOT NULL,
  tokens_in INTEGER NOT NULL,
  tokens_out INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  latency_ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_at ON ledger (at_ms);
`;

/**
 * Opens (or creates) the gateway's single SQLite file — cooldowns, the rolling budget, the cache and the
 * ledger — in WAL mode with `synchronous = NORMAL` (durable across a process crash, not necessarily an
 * OS crash) and a 5 s busy timeout so two processes sharing the file wait rather than fail.
 * `':memory:'` gives a private, non-persistent database.
 */
export function openGatewayDb(path: string): SqliteDb {
  // A write waits up to 30 s for a lock another process holds (a long lock delays a run, not kills it).
  const db = new Database(path, { timeout: 30_000 });
  if (path !== ':memory:') {
    db.pragma('journal_mode = WAL');
    // Checkpoints are run by the gateway's write-behind queue, off the requests' critical path.
    db.pragma('wal_autocheckpoint = 0');
  }
  db.pragma('synchronous = NORMAL');
  db.exec(SCHEMA);
  // Files written by older schemas lack some columns.
  for (const [table, column, definition] of ADDED_COLUMNS) {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
    if (columns.some((c) => c.name === column)) continue;
    try {
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
    } catch (err) {
      // Another process sharing the file added it first.
      if (!/duplicate column/i.test((err as Error).message)) throw err;
    }
  }
  db.exec('CREATE INDEX IF NOT EXISTS ledger_ref ON ledger (ref) WHERE ref IS NOT NULL');
  db.pragma(`user_version = ${GATEWAY_SCHEMA_VERSION}`);
  return db;
}
