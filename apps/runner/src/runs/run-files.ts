import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Ledger, RunRow } from '@orrery/broker';
import { forRun } from '../config/load.ts';
import type { OrreryConfig } from '../config/schema.ts';
import { runIdProblem } from './run-id.ts';
import { runLockPath } from './run-lock.ts';

/** A file or folder that belongs to one run, and its size on disk. */
export interface RunFile {
  /** What it is: `report`, `memory`, `chroma`, `lock`. */
  readonly kind: string;
  readonly path: string;
  readonly bytes: number;
}

/** One run as `orrery runs` shows it. */
export interface RunSummary {
  readonly id: string;
  readonly status: RunRow['status'];
  /** `paper`, `live` or `replay` (from what it was started with). */
  readonly kind: string;
  readonly createdAt: number;
  readonly lastTime: number | undefined;
  /** Rows in the ledger that belong to it (cycles, orders, fills, equity points, …). */
  readonly ledgerRows: number;
  /** Its own files (report, memory, Chroma index, lock), with sizes. */
  readonly files: readonly RunFile[];
  readonly bytes: number;
}

/** Size of a file or a folder (recursively), bytes; 0 when absent. */
export function sizeOf(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of readdirSync(path)) n += sizeOf(`${path}/${e}`);
  return n;
}

/** The files of `run` under the configuration's paths (`{runId}` substituted). */
export function runFiles(config: OrreryConfig, ledgerPath: string, runId: string): RunFile[] {
  // A run id from before ids were checked may not be a safe path part: its files are not guessed at.
  if (runIdProblem(runId) !== undefined) return [];
  const c = forRun(config, runId);
  const out: RunFile[] = [];
  const add = (kind: string, path: string) => {
    if (existsSync(path)) out.push({ kind, path, bytes: sizeOf(path) });
  };
  if (config.run.reportPath.includes('{runId}'))
    add('report', config.run.reportPath.replaceAll('{runId}', runId));
  if (config.memory !== false && c.memory !== false && config.memory.dbPath.includes('{runId}')) {
    // The default keeps each run's memory in its own folder: `.orrery/memory/<run>/`.
    const folder = dirname(c.memory.dbPath);
    if (folder.includes(runId)) add('memory', folder);
    else add('memory', c.memory.dbPath);
    if (c.memory.chroma.mode === 'embedded' && !c.memory.chroma.dataDir.startsWith(folder))
      add('chroma', c.memory.chroma.dataDir);
  }
  add('lock', runLockPath(ledgerPath, runId));
  return out;
}

/** Ledger rows of `runId` in every table with a `run_id` column. */
export function ledgerRows(ledger: Ledger, runId: string): number {
  let n = 0;
  for (const t of runTables(ledger))
    n += (ledger.db.prepare(`SELECT count(*) AS n FROM "${t}" WHERE run_id = ?`).get(runId) as { n: number })
      .n;
  return n;
}

/** Deletes every row of `runId` from the ledger (all tables with a `run_id`, then the run), in one transaction. */
export function deleteRunRows(ledger: Ledger, runId: string): number {
  const db = ledger.db;
  return db.transaction(() => {
    db.pragma('defer_foreign_keys = ON');
    let n = 0;
    for (const t of runTables(ledger))
      n += db.prepare(`DELETE FROM "${t}" WHERE run_id = ?`).run(runId).changes;
    n += db.prepare('DELETE FROM runs WHERE id = ?').run(runId).changes;
    return n;
  })();
}

/** Removes the run's files (report, memory folder, Chroma folder, a stale lock). */
export function removeRunFiles(files: readonly RunFile[]): void {
  for (const f of files) rmSync(f.path, { recursive: true, force: true });
}

function runTables(ledger: Ledger): string[] {
  const tables = ledger.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .all() as { name: string }[];
  return tables
    .map((t) => t.name)
    .filter((t) =>
      (ledger.db.prepare(`PRAGMA table_info("${t}")`).all() as { name: string }[]).some(
        (c) => c.name === 'run_id',
      ),
    );
}

/** The run's kind from what it was started with. */
export function runKind(run: RunRow): string {
  if ('live' in run.meta) return 'live';
  return run.id.startsWith('replay-') ? 'replay' : 'paper';
}

/** `1.2 MB`, `340 kB`, `12 B`. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${Math.round(n / 1e3)} kB`;
  return `${n} B`;
}
