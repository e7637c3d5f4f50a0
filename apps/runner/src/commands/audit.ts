import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ledger as GatewayLedger, openGatewayDb, type SqliteDb } from '@orrery/core';
import type { Command } from 'commander';
import { exportAuditFile, writeAudit } from '../audit/export.ts';
import { Redactor } from '../audit/redact.ts';
import { loadConfig } from '../config/load.ts';
import { openControl } from '../control/open-run.ts';
import { runIdFlag } from '../runs/run-id.ts';
import type { CliIO } from './io.ts';

interface AuditFlags {
  out?: string;
  config?: string;
  ledger?: string;
  gatewayDb?: string;
}

/**
 * Registers `orrery audit [RUN]`: the run's audit trail as JSONL (stdout, or `--out FILE`), every decision
 * traced from its inputs to its fills, with each LLM request and answer and its gateway ledger ids;
 * secrets (the environment's keys and tokens, the providers' keys, anything shaped like a credential)
 * redacted.
 */
export function registerAuditCommand(program: Command, io: CliIO): void {
  program
    .command('audit')
    .argument('[run]', 'run id (default: the latest run)', runIdFlag)
    .description(
      'export a run’s audit trail as JSONL: inputs, mode, LLM requests and answers (with ledger ids), critic, risk clamps, orders and fills, operator control; secrets redacted',
    )
    .option('-o, --out <file>', 'write to FILE instead of stdout')
    .option('-c, --config <file>', 'YAML configuration (default: ./orrery.yaml when present)')
    .option('--ledger <file>', 'run ledger SQLite file (default: run.ledgerPath)')
    .option('--gateway-db <file>', 'gateway SQLite file, for the LLM ledger ids (default: run.gatewayDbPath)')
    .action(async (runArg: string | undefined, flags: AuditFlags) => {
      const loaded = loadConfig({ file: flags.config, env: io.env, cwd: io.cwd });
      const h = openControl(flags.ledger ?? loaded.config.run.ledgerPath, runArg);
      const gatewayPath = flags.gatewayDb ?? loaded.config.run.gatewayDbPath;
      // A missing gateway file means no call was ever made: the export then has no ledger ids to show.
      let gatewayDb: SqliteDb | undefined;
      try {
        gatewayDb = existsSync(gatewayPath) ? openGatewayDb(gatewayPath) : undefined;
        const gatewayLedger =
          gatewayDb === undefined
            ? null
            : new GatewayLedger(gatewayDb, loaded.gateway.ledger.referenceModel, Date.now);
        const src = { ledger: h.ledger, gatewayLedger };
        const redact = Redactor.from(io.env, loaded.gateway);
        if (flags.out === undefined) {
          writeAudit(src, h.run.id, redact, (line) => io.out(line.trimEnd()));
          return;
        }
        const path = resolve(io.cwd, flags.out);
        const s = await exportAuditFile(src, h.run.id, redact, path);
        io.err(
          `audit of run ${h.run.id}: ${s.lines} lines (${s.decisions} decisions, ${s.operator} operator, ` +
            `${s.llmCalls} LLM calls, ${s.orders} orders, ${s.fills} fills) → ${path}`,
        );
      } finally {
        gatewayDb?.close();
        h.close();
      }
    });
}
