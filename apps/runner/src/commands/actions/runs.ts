import { existsSync } from 'node:fs';
import type { Ledger } from '@orrery/broker';
import { formatTime } from '@orrery/feeds';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { LedgerError } from '../../errors.ts';
import { openRunLedger } from '../../runs/open-ledger.ts';
import {
  deleteRunRows,
  formatBytes,
  ledgerRows,
  type RunSummary,
  removeRunFiles,
  runFiles,
  runKind,
} from '../../runs/run-files.ts';
import { runIdFlag } from '../../runs/run-id.ts';
import { lockRun } from '../../runs/run-lock.ts';
import { removeRunRows } from '../../runs/run-stores.ts';
import type { CliIO } from '../io.ts';
import type { RunsFlags } from '../runs.ts';

/** The run ledger the flags of `orrery runs` name, and a summary of one of its runs. */
function open(cmd: Command, io: CliIO) {
  const f = cmd.optsWithGlobals<RunsFlags>();
  const { config } = loadConfig({ file: f.config, env: io.env, cwd: io.cwd });
  const ledgerPath = f.ledger ?? config.run.ledgerPath;
  if (!existsSync(ledgerPath)) throw new LedgerError('(any)', `no run ledger at ${ledgerPath}`);
  const ledger = openRunLedger(ledgerPath, config.run.dbBusyTimeoutMs);
  const summary = (id: string): RunSummary => {
    const run = ledger.getRun(id);
    if (!run) throw new LedgerError(id, `is not in the ledger at ${ledgerPath}`);
    const files = runFiles(config, ledgerPath, id);
    return {
      id,
      status: run.status,
      kind: runKind(run),
      createdAt: run.createdAt,
      lastTime: run.lastTime,
      ledgerRows: ledgerRows(ledger, id),
      files,
      bytes: files.reduce((n, x) => n + x.bytes, 0),
    };
  };
  return { f, ledger, ledgerPath, summary, config };
}

function closing<T>(ledger: Ledger, fn: () => T): T {
  try {
    return fn();
  } finally {
    ledger.close();
  }
}

/** Runs `orrery runs list`: every run, newest first. */
export function runsList(cmd: Command, io: CliIO): void {
  const { f, ledger, summary } = open(cmd, io);
  closing(ledger, () => {
    const all = ledger.listRuns().map((r) => summary(r.id));
    if (f.json) return io.out(JSON.stringify(all, null, 2));
    if (all.length === 0) return io.out('no runs');
    for (const s of all)
      io.out(
        `${s.id.padEnd(28)} ${s.kind.padEnd(6)} ${s.status.padEnd(9)} ` +
          `${s.lastTime === undefined ? 'no bar yet'.padEnd(16) : formatTime(s.lastTime, false).padEnd(16)} ` +
          `${String(s.ledgerRows).padStart(7)} rows  ${formatBytes(s.bytes).padStart(8)}`,
      );
    const total = all.reduce((n, s) => n + s.bytes, 0);
    io.out(`${all.length} run(s), ${formatBytes(total)} in their own files (the shared ledger not counted)`);
  });
}

/** Runs `orrery runs show RUN`: one run and its files. */
export function runsShow(id: string, cmd: Command, io: CliIO): void {
  const { f, ledger, summary } = open(cmd, io);
  closing(ledger, () => {
    const s = summary(id);
    if (f.json) return io.out(JSON.stringify(s, null, 2));
    io.out(`Run ${s.id} (${s.kind}, ${s.status})`);
    io.out(`  created   ${new Date(s.createdAt).toISOString()}`);
    io.out(`  last bar  ${s.lastTime === undefined ? '(none)' : formatTime(s.lastTime, false)}`);
    io.out(`  ledger    ${s.ledgerRows} rows`);
    for (const x of s.files) io.out(`  ${x.kind.padEnd(9)} ${x.path} (${formatBytes(x.bytes)})`);
  });
}

/** Runs `orrery runs rm RUN…`: removes the runs (refused while a process runs one). */
export function runsRm(ids: string[], cmd: Command, io: CliIO): void {
  for (const id of ids) runIdFlag(id);
  const { ledger, ledgerPath, summary, config } = open(cmd, io);
  closing(ledger, () => {
    for (const id of ids) {
      const s = summary(id);
      const lock = lockRun(ledgerPath, id); // a live process holding the run refuses the removal
      try {
        // The ledger goes last: while its row stands, a removal cut short can be run again.
        const other = removeRunRows(config, id);
        const rows = deleteRunRows(ledger, id);
        removeRunFiles(s.files.filter((x) => x.kind !== 'lock'));
        io.out(
          `removed run ${id}: ${rows} ledger rows, ${s.files.filter((x) => x.kind !== 'lock').length} file(s), ${formatBytes(s.bytes)}; ` +
            `${other.recordings} LLM recordings, ${other.cacheEntries} answer-cache entries, ${other.learningRows} learning rows`,
        );
      } finally {
        lock.release();
      }
    }
  });
}
