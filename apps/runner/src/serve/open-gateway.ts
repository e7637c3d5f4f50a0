import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createGateway, type Gateway } from '@orrery/core';
import type { LoadedConfig } from '../config/load.ts';

/**
 * The gateway of a long-running command: the loaded configuration's gateway (environment overrides
 * applied) on `dbPath` (default `run.gatewayDbPath`), its folder created. Processes sharing the file share
 * the rolling budget and the cooldowns.
 */
export function openGateway(loaded: LoadedConfig, dbPath: string | undefined, cwd: string): Gateway {
  const path = gatewayDbPath(loaded, dbPath, cwd);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  return createGateway(loaded.gateway, { dbPath: path });
}

/** The gateway database a command uses: `dbPath` (`--gateway-db`, relative to `cwd`) or `run.gatewayDbPath`. */
export function gatewayDbPath(loaded: LoadedConfig, dbPath: string | undefined, cwd: string): string {
  if (dbPath === undefined) return loaded.config.run.gatewayDbPath;
  return dbPath === ':memory:' ? dbPath : resolve(cwd, dbPath);
}

/** Resolves when `signal` aborts (at once if it already has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
