import { existsSync } from 'node:fs';
import { Ledger, type LedgerEntry, openGatewayDb, usageReport } from '@orrery/core';
import type { Command } from 'commander';
import { positiveNumber } from '../delegation/cli-options.ts';
import { loadDelegationSetup } from '../delegation/load.ts';
import { formatUsage } from '../delegation/usage-text.ts';
import type { CliIO } from './io.ts';

const DAY_MS = 86_400_000;

/** Registers `orrery metrics`. */
export function registerMetricsCommand(program: Command, io: CliIO): void {
  program
    .command('metrics')
    .description(
      'LLM usage from the gateway ledger: calls, tokens, latency, success rate by task type and by model, and the savings against the reference paid model',
    )
    .option('--days <n>', 'period, in days back from now', positiveNumber, 7)
    .option('--json', 'print the report as JSON')
    .option('-c, --config <file>', 'YAML configuration file (default: ./orrery.yaml when present)')
    .action((flags: { days: number; json?: boolean; config?: string }) => {
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
      if (flags.json === true)
        io.out(JSON.stringify({ ledger: dbPath, days: flags.days, ...report }, null, 2));
      else io.out(formatUsage(report, existsSync(dbPath) ? dbPath : `${dbPath}, not created yet`));
    });
}
