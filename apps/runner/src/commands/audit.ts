import type { Command } from 'commander';
import { runIdFlag } from '../runs/run-id.ts';
import type { CliIO } from './io.ts';

/** `orrery audit`'s flags, as commander parses them. */
export interface AuditFlags {
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
      await (await import('./actions/audit.ts')).audit(runArg, flags, io);
    });
}
