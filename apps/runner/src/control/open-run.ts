import { existsSync } from 'node:fs';
import { ControlStore, Ledger, LedgerError, type RunRow } from '@orrery/broker';
import { sqliteFailure } from '../runs/open-ledger.ts';

/** A run's ledger opened for operator control. `close()` closes both. */
export interface ControlHandle {
  readonly ledger: Ledger;
  readonly store: ControlStore;
  readonly run: RunRow;
  close(): void;
}

/**
 * Opens the run ledger at `ledgerPath` (on its own connection: a loop in another process may be writing
 * it) and finds the run: `runId`, or the most recently created one when undefined or `latest`.
 * @throws LedgerError when the ledger does not exist, holds no run, or not that one.
 */
export function openControl(ledgerPath: string, runId: string | undefined): ControlHandle {
  if (ledgerPath !== ':memory:' && !existsSync(ledgerPath))
    throw new LedgerError(runId ?? '(latest)', `no run ledger at ${ledgerPath}`);
  let ledger: Ledger;
  try {
    ledger = Ledger.open(ledgerPath);
  } catch (err) {
    throw sqliteFailure(err, ledgerPath) ?? err;
  }
  try {
    const wanted = runId === undefined || runId === 'latest' ? undefined : runId;
    const run = wanted === undefined ? ledger.listRuns()[0] : ledger.getRun(wanted);
    if (run === undefined)
      throw new LedgerError(wanted ?? '(latest)', `is not in the ledger at ${ledgerPath}`);
    const store = new ControlStore(ledger.db);
    return { ledger, store, run, close: () => ledger.close() };
  } catch (err) {
    ledger.close();
    throw err;
  }
}
