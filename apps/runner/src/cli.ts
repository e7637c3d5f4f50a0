import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Builds the `orrery` command tree. */
export function buildProgram(): Command {
  const program = new Command('orrery')
    .description('Hierarchical LLM agents with budgeted LLM calls: a sun, planets and moons that trade.')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  return program;
}

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
}
