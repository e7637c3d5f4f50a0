import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ledger as GatewayLedger, openGatewayDb, type SqliteDb } from '@orrery/core';
import { exportAuditFile, writeAudit } from '../../audit/export.ts';
import { Redactor } from '../../audit/redact.ts';
import { loadConfig } from '../../config/load.ts';
import { openControl } from '../../control/open-run.ts';
import type { AuditFlags } from '../audit.ts';
import type { CliIO } from '../io.ts';

/** Runs `orrery audit` (see its registration in ../audit.ts). */
export async function audit(runArg: string | undefined, flags: AuditFlags, io: CliIO): Promise<void> {
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
}
