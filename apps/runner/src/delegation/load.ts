import type { DelegationConfig } from '@orrery/core';
import { type LoadedConfig, loadConfig } from '../config/load.ts';

/** The configuration the delegation commands run with. */
export interface DelegationSetup {
  /** `orrery.yaml` validated as `orrery config check` does (gateway with env overrides). */
  readonly loaded: LoadedConfig;
  /** The `delegation` section, built-in task types merged; `logFile` made absolute. */
  readonly delegation: DelegationConfig;
}

/**
 * Reads `orrery.yaml` (or `file`, or the defaults) with `loadConfig`; its `delegation` section is
 * `@orrery/core`'s `delegationConfigSchema`, relative paths resolved against the file's folder.
 *
 * @throws ConfigError `ORRERY_CONFIG_FILE` (unreadable, not YAML) or `ORRERY_CONFIG_INVALID` naming every
 *   problem's key path (`delegation.tasks.review.maxTokens`, `gateway.routing…`).
 */
export function loadDelegationSetup(
  opts: { file?: string | undefined; env?: Record<string, string | undefined>; cwd?: string } = {},
): DelegationSetup {
  const loaded = loadConfig(opts);
  return { loaded, delegation: loaded.config.delegation };
}
