import { CommanderError } from 'commander';
import type { CliIO } from '../commands/io.ts';

/**
 * Ends a command with exit code 1 after its results were printed: writes `error: message` on stderr and
 * throws a `CommanderError`, which the CLI's `main` turns into the exit code without printing again.
 */
export function failCommand(io: CliIO, code: string, message: string): never {
  io.err(`error: ${message}`);
  throw new CommanderError(1, code, message);
}
