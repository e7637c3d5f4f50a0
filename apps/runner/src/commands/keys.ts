import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config/load.ts';
import { RunnerError, RunnerErrorCode } from '../errors.ts';
import { gatewayDbPath } from '../serve/open-gateway.ts';
import { type VirtualKeyRecord, VirtualKeyStore } from '../serve/virtual-keys.ts';
import type { CliIO } from './io.ts';

interface CommonFlags {
  config?: string;
  gatewayDb?: string;
  json?: boolean;
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

/** Opens the key store of the gateway database the configuration (or `--gateway-db`) names. */
function openStore(io: CliIO, flags: CommonFlags): { store: VirtualKeyStore; path: string } {
  const loaded = loadConfig({ file: flags.config, env: io.env, cwd: io.cwd });
  const path = gatewayDbPath(loaded, flags.gatewayDb, io.cwd);
  if (path === ':memory:') {
    throw new RunnerError(
      RunnerErrorCode.USAGE,
      '--gateway-db :memory: holds no keys; name the file `orrery serve` uses',
    );
  }
  mkdirSync(dirname(path), { recursive: true });
  return { store: new VirtualKeyStore(path), path };
}

const limit = (n: number | undefined, unit = '') => (n === undefined ? 'unlimited' : `${n}${unit}`);

function describe(r: VirtualKeyRecord): string {
  const state = r.revokedMs === undefined ? 'active' : `revoked ${new Date(r.revokedMs).toISOString()}`;
  return [
    `${r.name}  ${r.id}  ${r.hint}  ${state}`,
    `  tokens ${r.usedTokens} / ${limit(r.maxTokens)}, calls ${r.usedCalls} / ${limit(r.maxCalls)}, USD ${r.usedUsd.toFixed(6)} / ${r.maxUsd === undefined ? 'unlimited' : r.maxUsd}`,
    `  tasks ${r.tasks === undefined ? 'any' : r.tasks.join(', ')}; created ${new Date(r.createdMs).toISOString()}`,
  ].join('\n');
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
  ).action(
    (
      flags: CommonFlags & {
        name: string;
        maxTokens?: number;
        maxCalls?: number;
        maxUsd?: number;
        tasks?: string;
      },
    ) => {
      const { store, path } = openStore(io, flags);
      try {
        const { key, record } = store.create({
          name: flags.name,
          maxTokens: flags.maxTokens,
          maxCalls: flags.maxCalls,
          maxUsd: flags.maxUsd,
          tasks: flags.tasks
            ?.split(',')
            .map((t) => t.trim())
            .filter((t) => t !== ''),
        });
        if (flags.json === true) io.out(JSON.stringify({ key, ...record, database: path }, null, 2));
        else {
          io.out(key);
          io.err(
            `key ${record.name} (${record.id}) created in ${path}; it is shown only now. Use it as the API key of an OpenAI or Anthropic client pointed at orrery serve.`,
          );
        }
      } finally {
        store.close();
      }
    },
  );

  common(
    keys
      .command('list')
      .description('the keys, their limits and usage (never the keys themselves)')
      .option('--all', 'include revoked keys'),
  ).action((flags: CommonFlags & { all?: boolean }) => {
    const { store, path } = openStore(io, flags);
    try {
      const list = store.list({ all: flags.all === true });
      if (flags.json === true) io.out(JSON.stringify(list, null, 2));
      else if (list.length === 0) io.out(`no ${flags.all === true ? '' : 'active '}keys in ${path}`);
      else io.out(list.map(describe).join('\n'));
    } finally {
      store.close();
    }
  });

  common(
    keys
      .command('revoke')
      .description('revoke a key by name or id; servers refuse it from their next request on'),
  )
    .argument('<name-or-id>')
    .action((nameOrId: string, flags: CommonFlags) => {
      const { store, path } = openStore(io, flags);
      try {
        const r = store.revoke(nameOrId);
        if (r === undefined) {
          throw new RunnerError(
            RunnerErrorCode.USAGE,
            `no active key named ${JSON.stringify(nameOrId)} in ${path}`,
          );
        }
        if (flags.json === true) io.out(JSON.stringify(r, null, 2));
        else io.out(`revoked ${r.name} (${r.id})`);
      } finally {
        store.close();
      }
    });
}
