import type { ControlCommandInput } from '@orrery/broker';
import { checkCommandForRun } from '@orrery/broker';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { openControl } from '../../control/open-run.ts';
import { controlStatus, formatCommand, formatStatus } from '../../control/status.ts';
import { readMemoryHealth } from '../../runs/memory-health.ts';
import type { ControlFlags } from '../control.ts';
import type { CliIO } from '../io.ts';

const config = (f: ControlFlags, io: CliIO) =>
  loadConfig({ file: f.config, env: io.env, cwd: io.cwd }).config;
const ledgerPath = (f: ControlFlags, io: CliIO) => f.ledger ?? config(f, io).run.ledgerPath;

/** Runs one `orrery control` command that issues an operator command (pause, force, approve…). */
export function controlIssue(cmd: Command, body: Record<string, unknown>, io: CliIO): void {
  const f = cmd.optsWithGlobals<ControlFlags>();
  const h = openControl(ledgerPath(f, io), f.run);
  try {
    const checked = checkCommandForRun(
      {
        ...body,
        by: f.by ?? io.env.USER ?? io.env.USERNAME ?? 'operator',
        ...(f.reason === undefined ? {} : { reason: f.reason }),
      } as ControlCommandInput,
      h.run,
      { maxPositionFraction: config(f, io).agents.risk.maxPositionFraction, clamp: f.clamp },
    );
    if (checked.note !== undefined) io.err(`note: ${checked.note}`);
    const c = h.store.issue(h.run.id, checked.input, Date.now());
    io.out(f.json === true ? JSON.stringify(c) : `run ${h.run.id}: ${formatCommand(c)}`);
    if (h.run.status !== 'running')
      io.err(`note: run ${h.run.id} is ${h.run.status}; the command applies only if the run trades again`);
  } finally {
    h.close();
  }
}

/** Runs `orrery control status`: what is in force, pending commands and approvals waiting. */
export function controlShowStatus(cmd: Command, io: CliIO): void {
  const f = cmd.optsWithGlobals<ControlFlags>();
  const h = openControl(ledgerPath(f, io), f.run);
  try {
    const s = controlStatus(
      h.store,
      h.run,
      readMemoryHealth(h.ledger.db, h.run.id, Date.now(), h.run.status === 'running'),
    );
    io.out(f.json === true ? JSON.stringify(s, null, 2) : formatStatus(s));
  } finally {
    h.close();
  }
}
