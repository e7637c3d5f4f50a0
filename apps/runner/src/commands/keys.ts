import { type Command, InvalidArgumentError } from 'commander';
import type { CliIO } from './io.ts';

/** The flags every `orrery keys` subcommand takes. */
export interface KeysCommonFlags {
  config?: string;
  gatewayDb?: string;
  json?: boolean;
}

/** `orrery keys create`'s flags, as commander parses them. */
export interface KeysCreateFlags extends KeysCommonFlags {
  name: string;
  maxTokens?: number;
  maxCalls?: number;
  maxUsd?: number;
  tasks?: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be an integer >= 1');
  return n;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number >= 0');
  return n;
}

const common = (cmd: Command) =>
  cmd
    .option('-c, --config <file>', 'YAML configuration (default: ./orrery.yaml when present)')
    .option('--gateway-db <file>', 'gateway SQLite file holding the keys (default: run.gatewayDbPath)')
    .option('--json', 'print JSON');

/**
 * Registers `orrery keys create|list|revoke`: virtual keys for `orrery serve`'s OpenAI- and
 * Anthropic-compatible routes, each bound to a budget, stored hashed in the gateway's SQLite file.
 */
export function registerKeysCommand(program: Command, io: CliIO): void {
  const keys = program
    .command('keys')
    .description(
      'virtual keys for orrery serve: bearer keys bound to a budget (tokens, calls, USD) and task types',
    );

  common(
    keys
      .command('create')
      .description('issue a key (printed once; only its SHA-256 is stored)')
      .requiredOption('--name <name>', 'shown in the ledger (agent key:NAME), metrics and errors')
      .option('--max-tokens <n>', 'tokens (in + out) the key may use in total', positiveInt)
      .option('--max-calls <n>', 'provider calls the key may make in total', positiveInt)
      .option('--max-usd <x>', 'USD the key may spend in total', nonNegative)
      .option('--tasks <list>', 'comma-separated task types the key may use (default: any)'),
  ).action(async (flags: KeysCreateFlags) => {
    (await import('./actions/keys.ts')).keysCreate(flags, io);
  });

  common(
    keys
      .command('list')
      .description('the keys, their limits and usage (never the keys themselves)')
      .option('--all', 'include revoked keys'),
  ).action(async (flags: KeysCommonFlags & { all?: boolean }) => {
    (await import('./actions/keys.ts')).keysList(flags, io);
  });

  common(
    keys
      .command('revoke')
      .description('revoke a key by name or id; servers refuse it from their next request on'),
  )
    .argument('<name-or-id>')
    .action(async (nameOrId: string, flags: KeysCommonFlags) => {
      (await import('./actions/keys.ts')).keysRevoke(nameOrId, flags, io);
    });
}
