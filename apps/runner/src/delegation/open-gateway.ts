import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createGateway, type Gateway } from '@orrery/core';
import type { LoadedConfig } from '../config/load.ts';

/**
 * The gateway on the configuration's SQLite file (`run.gatewayDbPath`), so that cooldowns, the hourly
 * budget and the ledger are shared with every other `orrery` process using the same file.
 */
export function openGateway(loaded: LoadedConfig): Gateway {
  const dbPath = loaded.config.run.gatewayDbPath;
  if (dbPath !== ':memory:') mkdirSync(dirname(dbPath), { recursive: true });
  return createGateway(loaded.gateway, { dbPath });
}
