import { existsSync } from 'node:fs';
import { type CooldownState, Cooldowns, openGatewayDb } from '@orrery/core';
import { failCommand } from '../../delegation/fail.ts';
import { loadDelegationSetup } from '../../delegation/load.ts';
import type { CooldownsFlags } from '../cooldowns.ts';
import type { CliIO } from '../io.ts';

/** Runs `orrery cooldowns` (see its registration in ../cooldowns.ts). */
export function cooldowns(flags: CooldownsFlags, io: CliIO): void {
  const { loaded } = loadDelegationSetup({ file: flags.config, env: io.env, cwd: io.cwd });
  const dbPath = loaded.config.run.gatewayDbPath;
  let pair: { provider: string; model: string } | undefined;
  if (flags.clear !== undefined) {
    const m = /^([^/]+)\/(.+)$/.exec(flags.clear.trim());
    if (m === null)
      failCommand(
        io,
        'orrery.cooldowns.pair',
        `--clear takes provider/model (or provider/*), got "${flags.clear}"`,
      );
    pair = { provider: m[1] as string, model: m[2] as string };
  }
  const now = Date.now();
  let active: CooldownState[] = [];
  let cleared = 0;
  // A missing file means nothing was recorded yet; do not create one just to read it.
  if (existsSync(dbPath)) {
    const db = openGatewayDb(dbPath);
    try {
      const cooldowns = new Cooldowns(db, loaded.gateway.cooldown, loaded.gateway.breaker);
      if (pair !== undefined) cleared = cooldowns.clear(pair.provider, pair.model);
      active = cooldowns.active(now);
    } finally {
      db.close();
    }
  }
  if (flags.json === true) {
    const rows = active.map((c) => ({ ...c, until: Number.isFinite(c.until) ? c.until : null }));
    io.out(
      JSON.stringify({ ledger: dbPath, ...(pair === undefined ? {} : { cleared }), active: rows }, null, 2),
    );
  } else {
    if (pair !== undefined)
      io.out(
        cleared > 0
          ? `cleared ${pair.provider}/${pair.model}`
          : `${pair.provider}/${pair.model} had no cooldown or breaker to clear`,
      );
    io.out(formatCooldowns(active, now));
  }
}

function formatCooldowns(active: readonly CooldownState[], now: number): string {
  if (active.length === 0) return 'no cooldowns, open breakers or disabled providers';
  return active
    .map((c) => {
      const pair = `${c.provider}/${c.model}`;
      switch (c.reason) {
        case 'disabled':
          return `${pair}  disabled (quota or billing exhausted: ${c.note ?? 'no detail'}) until cleared: orrery cooldowns --clear ${c.provider}/*`;
        case 'breaker_open':
        case 'breaker_probe':
          return `${pair}  circuit breaker open for ${Math.ceil((c.until - now) / 1000)} s more (then one probe)`;
        default:
          return `${pair}  cooling down for ${Math.ceil((c.until - now) / 1000)} s more after ${c.reason === 'overloaded' ? 'an overloaded answer (529)' : `${c.strikes} rate-limit strike(s)`}`;
      }
    })
    .join('\n');
}
