import { existsSync } from 'node:fs';
import { Ledger, type LedgerEntry, openGatewayDb, usageReport } from '@orrery/core';
import { loadDelegationSetup } from '../../delegation/load.ts';
import { formatUsage } from '../../delegation/usage-text.ts';
import type { CliIO } from '../io.ts';
import type { MetricsFlags } from '../metrics.ts';

const DAY_MS = 86_400_000;

/** Runs `orrery metrics` (see its registration in ../metrics.ts). */
export function metrics(flags: MetricsFlags, io: CliIO): void {
  const { loaded } = loadDelegationSetup({ file: flags.config, env: io.env, cwd: io.cwd });
  const dbPath = loaded.config.run.gatewayDbPath;
  const until = Date.now();
  const since = until - flags.days * DAY_MS;
  const reference = loaded.gateway.ledger.referenceModel;
  let entries: LedgerEntry[] = [];
  // A missing file means nothing was recorded yet; do not create one just to read it.
  if (existsSync(dbPath)) {
    const db = openGatewayDb(dbPath);
    try {
      entries = new Ledger(db, reference, () => until).since(since);
    } finally {
      db.close();
    }
  }
  const report = usageReport(entries, reference, { since, until });
  if (flags.json === true) io.out(JSON.stringify({ ledger: dbPath, days: flags.days, ...report }, null, 2));
  else io.out(formatUsage(report, existsSync(dbPath) ? dbPath : `${dbPath}, not created yet`));
}
