import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { type DelegationConfig, LLMConfigError, parseDelegationConfig } from '@orrery/core';
import { parseDocument } from 'yaml';
import { DEFAULT_CONFIG_FILE, type LoadedConfig, parseConfig } from '../config/load.ts';
import { ConfigError, RunnerErrorCode } from '../errors.ts';

/** The configuration the delegation commands run with. */
export interface DelegationSetup {
  /** The rest of `orrery.yaml`, validated as `orrery config check` does (gateway with env overrides). */
  readonly loaded: LoadedConfig;
  /** The `delegation` section, built-in task types merged; `logFile` made absolute. */
  readonly delegation: DelegationConfig;
}

/**
 * Reads `orrery.yaml` (or `file`, or the defaults) like `loadConfig`, plus its top-level `delegation`
 * section (`@orrery/core`'s `delegationConfigSchema`), which is taken out before the rest is validated.
 * Relative paths (`delegation.logFile`) resolve against the file's folder (the cwd for the defaults).
 *
 * @throws ConfigError `ORRERY_CONFIG_FILE` (unreadable, not YAML) or `ORRERY_CONFIG_INVALID` naming every
 *   problem's key path (`delegation.tasks.review.maxTokens`, `gateway.routing…`).
 */
export function loadDelegationSetup(
  opts: { file?: string | undefined; env?: Record<string, string | undefined>; cwd?: string } = {},
): DelegationSetup {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? {};
  const implicit = resolve(cwd, DEFAULT_CONFIG_FILE);
  const file =
    opts.file !== undefined ? resolve(cwd, opts.file) : existsSync(implicit) ? implicit : undefined;
  const source = file ?? '(defaults)';
  const baseDir = file === undefined ? cwd : dirname(file);
  const input = file === undefined ? {} : readYaml(file);
  let section: unknown;
  let rest: unknown = input;
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && 'delegation' in input) {
    const { delegation, ...others } = input as Record<string, unknown>;
    section = delegation;
    rest = others;
  }
  const loaded = parseConfig(rest, { source, baseDir, env });
  let delegation: DelegationConfig;
  try {
    delegation = parseDelegationConfig(section ?? {});
  } catch (err) {
    if (!(err instanceof LLMConfigError)) throw err;
    throw new ConfigError(RunnerErrorCode.CONFIG_INVALID, source, 'invalid configuration', [
      { path: err.path === '' ? 'delegation' : `delegation.${err.path}`, message: err.message },
    ]);
  }
  if (delegation.logFile !== undefined && !isAbsolute(delegation.logFile)) {
    delegation = { ...delegation, logFile: resolve(baseDir, delegation.logFile) };
  }
  return { loaded, delegation };
}

function readYaml(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(RunnerErrorCode.CONFIG_FILE, file, `cannot read (${(err as Error).message})`, [], {
      cause: err,
    });
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      RunnerErrorCode.CONFIG_FILE,
      file,
      'is not valid YAML',
      doc.errors.map((e) => ({
        path: `line ${e.linePos?.[0]?.line ?? '?'}`,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  return (doc.toJS() as unknown) ?? {};
}
