import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfig } from '../../config/load.ts';
import { RunnerError, RunnerErrorCode } from '../../errors.ts';
import { gatewayDbPath } from '../../serve/open-gateway.ts';
import { type VirtualKeyRecord, VirtualKeyStore } from '../../serve/virtual-keys.ts';
import type { CliIO } from '../io.ts';
import type { KeysCommonFlags, KeysCreateFlags } from '../keys.ts';

/** Opens the key store of the gateway database the configuration (or `--gateway-db`) names. */
function openStore(io: CliIO, flags: KeysCommonFlags): { store: VirtualKeyStore; path: string } {
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

/** Runs `orrery keys create`: issues a key and prints it once. */
export function keysCreate(flags: KeysCreateFlags, io: CliIO): void {
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
}

/** Runs `orrery keys list`: the keys, their limits and usage. */
export function keysList(flags: KeysCommonFlags & { all?: boolean }, io: CliIO): void {
  const { store, path } = openStore(io, flags);
  try {
    const list = store.list({ all: flags.all === true });
    if (flags.json === true) io.out(JSON.stringify(list, null, 2));
    else if (list.length === 0) io.out(`no ${flags.all === true ? '' : 'active '}keys in ${path}`);
    else io.out(list.map(describe).join('\n'));
  } finally {
    store.close();
  }
}

/** Runs `orrery keys revoke`: revokes a key by name or id. */
export function keysRevoke(nameOrId: string, flags: KeysCommonFlags, io: CliIO): void {
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
}
