import { type Command, InvalidArgumentError } from 'commander';
import { runIdFlag } from '../runs/run-id.ts';
import type { CliIO } from './io.ts';

/** `orrery control`'s flags (on `control` and its subcommands), as commander parses them. */
export interface ControlFlags {
  run?: string;
  by?: string;
  reason?: string;
  json?: boolean;
  config?: string;
  ledger?: string;
  expireBars?: number;
  clamp?: boolean;
}

const number = (what: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${what} must be a number`);
  return n;
};

/** Subcommands that take nothing but the run, with their help. */
const WHOLE_RUN = {
  pause: 'trade no new decision until resumed (open stops stay)',
  resume: 'trade the agents’ decisions again',
  flatten: 'close every position at the next bar of its symbol',
} as const;

/** Subcommands that take a symbol. */
const ONE_SYMBOL = {
  block: 'trade nothing in SYMBOL (the position is kept)',
  unblock: 'let the agents trade SYMBOL again',
  unforce: 'hand SYMBOL back to the agents after force',
} as const;

/** Subcommands that decide a parked approval. */
const DECIDE = {
  approve: 'trade a parked decision at the next bar',
  reject: 'drop a parked decision',
} as const;

/** Records one command (the action module is loaded only when a subcommand runs). */
type Issue = (cmd: Command, body: Record<string, unknown>) => Promise<void>;

/**
 * Registers `orrery control`: operator commands against a run's ledger (`--run`, default the latest),
 * recorded with who (`--by`, default `$USER`), when and why (`--reason`), applied by the run's loop —
 * in this process or another — at its next cycle boundary.
 */
export function registerControlCommand(program: Command, io: CliIO): void {
  const control = controlCommand(program);
  const issue: Issue = async (cmd, body) =>
    (await import('./actions/control.ts')).controlIssue(cmd, body, io);
  control
    .command('status')
    .description('what is in force, pending commands and approvals waiting for a person')
    .action(async (_o: unknown, cmd: Command) => {
      (await import('./actions/control.ts')).controlShowStatus(cmd, io);
    });
  for (const [kind, help] of Object.entries(WHOLE_RUN))
    control
      .command(kind)
      .description(help)
      .action((_o: unknown, cmd: Command) => issue(cmd, { kind }));
  for (const [kind, help] of Object.entries(ONE_SYMBOL))
    control
      .command(kind)
      .argument('<symbol>')
      .description(help)
      .action((symbol: string, _o: unknown, cmd: Command) => issue(cmd, { kind, symbol }));
  registerForce(control, issue);
  registerRequireApproval(control, issue);
  for (const [kind, help] of Object.entries(DECIDE))
    control
      .command(kind)
      .argument('<id>', 'approval id, e.g. A3 (see status)')
      .description(help)
      .action((approval: string, _o: unknown, cmd: Command) => issue(cmd, { kind, approval }));
}

/** `orrery control` itself, with the flags every subcommand shares. */
function controlCommand(program: Command): Command {
  return program
    .command('control')
    .description(
      'operator control of a run: pause, resume, flatten, block/force a symbol, approve-before-trade; takes effect at the next bar the run trades',
    )
    .option('--run <id>', 'run id (default: the latest run in the ledger)', runIdFlag)
    .option('--by <name>', 'who issues the command (default: $USER)')
    .option('--reason <text>', 'why (recorded with the command)')
    .option('--json', 'print JSON')
    .option('-c, --config <file>', 'YAML configuration (default: ./orrery.yaml when present)')
    .option('--ledger <file>', 'run ledger SQLite file (default: run.ledgerPath)');
}

function registerForce(control: Command, issue: Issue): void {
  control
    .command('force')
    .argument('<symbol>')
    .argument(
      '<fraction>',
      'signed position to hold, fraction of equity (e.g. 0.1, -0.05, 0)',
      number('fraction'),
    )
    .option('--clamp', 'hold the risk limit when FRACTION is beyond it (default: refuse)')
    .description('hold SYMBOL at FRACTION of equity instead of what the agents decide')
    .action((symbol: string, target: number, _o: unknown, cmd: Command) =>
      issue(cmd, { kind: 'force', symbol, target }),
    );
}

function registerRequireApproval(control: Command, issue: Issue): void {
  control
    .command('require-approval')
    .argument(
      '<threshold>',
      "position change (fraction of equity) above which a decision waits; 'off' to stop",
    )
    .option('--expire-bars <n>', 'bars a parked decision waits before it expires', number('--expire-bars'), 5)
    .description('approve-before-trade: decisions above THRESHOLD wait for approve/reject')
    .action(async (threshold: string, _o: unknown, cmd: Command) => {
      const f = cmd.optsWithGlobals<ControlFlags>();
      const t = threshold === 'off' ? null : number('threshold')(threshold);
      await issue(cmd, { kind: 'require-approval', threshold: t, expireBars: f.expireBars });
    });
}
