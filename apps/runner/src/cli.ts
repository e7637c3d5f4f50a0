import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAuditCommand } from './commands/audit.ts';
import { registerConfigCommands } from './commands/config.ts';
import { registerControlCommand } from './commands/control.ts';
import { registerCooldownsCommand } from './commands/cooldowns.ts';
import { registerDelegateCommand } from './commands/delegate.ts';
import type { CliIO } from './commands/io.ts';
import { registerKeysCommand } from './commands/keys.ts';
import { registerMetricsCommand } from './commands/metrics.ts';
import { registerPaperCommand } from './commands/paper.ts';
import { registerPlanetCommand } from './commands/planet.ts';
import { registerProvidersCommand } from './commands/providers.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerRunsCommand } from './commands/runs.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerWorkflowCommand } from './commands/workflow.ts';
import { failureText } from './runs/failure-text.ts';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Each command module registers itself here. */
const COMMANDS: readonly ((program: Command, io: CliIO) => void)[] = [
  registerPaperCommand,
  registerRunCommand,
  registerRunsCommand,
  registerConfigCommands,
  registerControlCommand,
  registerAuditCommand,
  registerServeCommand,
  registerKeysCommand,
  registerPlanetCommand,
  registerDelegateCommand,
  registerProvidersCommand,
  registerMetricsCommand,
  registerCooldownsCommand,
  registerWorkflowCommand,
];

/** Builds the `orrery` command tree. */
export function buildProgram(io: CliIO = processIO()): Command {
  const program = new Command('orrery')
    .description('Hierarchical LLM agents with budgeted LLM calls: a sun, planets and moons that trade.')
    .version(pkg.version)
    .showHelpAfterError()
    .configureOutput({ writeErr: (text) => io.err(text.replace(/\n$/, '')) })
    .exitOverride();
  for (const register of COMMANDS) register(program, io);
  return program;
}

/**
 * Runs the command line; resolves to the process exit code (0 ok, 1 failure, commander's own codes).
 * A failure prints one `error: …` line (typed: the key, path or value at fault); `--debug` anywhere on the
 * line (or `ORRERY_DEBUG=1`) adds its stack trace.
 */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  const program = buildProgram(io);
  const debug = argv.includes('--debug') || io.env.ORRERY_DEBUG === '1';
  try {
    await program.parseAsync(argv.filter((a) => a !== '--debug'));
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    io.err(failureText(err, debug));
    return 1;
  }
}

/** The real process: stdout, stderr, env, cwd; SIGINT/SIGTERM abort the signal. */
export function processIO(): CliIO {
  const ctl = new AbortController();
  const stop = () => {
    if (ctl.signal.aborted) process.exit(130);
    ctl.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    env: process.env,
    cwd: process.cwd(),
    isTTY: process.stderr.isTTY === true,
    signal: ctl.signal,
  };
}
