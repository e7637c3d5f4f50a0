import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { toIssues } from '@orrery/broker';
import { type GatewayConfig, LLMConfigError, parseGatewayConfig } from '@orrery/core';
import { isBundledName } from '@orrery/feeds';
import { parseDocument } from 'yaml';
import { ConfigError, RunnerErrorCode } from '../errors.ts';
import { assertRunId } from '../runs/run-id.ts';
import { type OrreryConfig, orreryConfigSchema } from './schema.ts';

/** A configuration ready to run: validated, defaults filled, paths absolute, env applied to the gateway. */
export interface LoadedConfig {
  readonly config: OrreryConfig;
  /** `config.gateway` with the environment overrides (API keys, base URLs) applied by core. */
  readonly gateway: GatewayConfig;
  /** The file read, or `(defaults)`. */
  readonly source: string;
  /** The document as written (before defaults), to tell what the user set from what was defaulted. */
  readonly input: unknown;
}

/** Where {@link loadConfig} looks when no file is named. */
export const DEFAULT_CONFIG_FILE = 'orrery.yaml';

/**
 * Reads and validates the configuration: `file` when given, else `./orrery.yaml` when it exists, else the
 * defaults. Relative paths in it resolve against the file's folder (the cwd for the defaults).
 *
 * @param env environment for the gateway's overrides (`OPENAI_API_KEY`, `OPENAI_BASE_URL`,
 *   `ANTHROPIC_API_KEY`, `ANTHROPIC_BASE_URL`, `OLLAMA_BASE_URL`).
 * @throws ConfigError `ORRERY_CONFIG_FILE` (unreadable, not YAML) or `ORRERY_CONFIG_INVALID` listing
 *   every problem with its key path.
 */
export function loadConfig(
  opts: { file?: string | undefined; env?: Record<string, string | undefined>; cwd?: string } = {},
): LoadedConfig {
  const cwd = opts.cwd ?? process.cwd();
  const implicit = resolve(cwd, DEFAULT_CONFIG_FILE);
  const file =
    opts.file !== undefined ? resolve(cwd, opts.file) : existsSync(implicit) ? implicit : undefined;
  if (file === undefined) return parseConfig({}, { source: '(defaults)', baseDir: cwd, env: opts.env ?? {} });
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
      doc.errors.map((e) => ({ path: `line ${e.linePos?.[0]?.line ?? '?'}`, message: firstLine(e.message) })),
    );
  }
  let input: unknown;
  try {
    // A YAML alias bomb (billion laughs) stops at the alias limit instead of exhausting memory.
    input = (doc.toJS({ maxAliasCount: 100 }) as unknown) ?? {};
  } catch (err) {
    throw new ConfigError(RunnerErrorCode.CONFIG_FILE, file, 'is not usable YAML', [
      { path: '(root)', message: firstLine((err as Error).message) },
    ]);
  }
  return parseConfig(input, { source: file, baseDir: dirname(file), env: opts.env ?? {} });
}

/**
 * Validates a configuration value (the parsed YAML). See {@link loadConfig}.
 *
 * @throws ConfigError `ORRERY_CONFIG_INVALID` listing every problem with its key path.
 */
export function parseConfig(
  input: unknown,
  opts: { source: string; baseDir: string; env: Record<string, string | undefined> },
): LoadedConfig {
  const result = orreryConfigSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      RunnerErrorCode.CONFIG_INVALID,
      opts.source,
      'invalid configuration',
      toIssues(result.error.issues),
      { cause: result.error },
    );
  }
  const raw = input as { gateway?: unknown };
  let gateway: GatewayConfig;
  try {
    gateway = parseGatewayConfig(raw.gateway ?? {}, opts.env);
  } catch (err) {
    if (!(err instanceof LLMConfigError)) throw err;
    const path = err.path === '' ? 'gateway' : `gateway.${err.path}`;
    throw new ConfigError(RunnerErrorCode.CONFIG_INVALID, opts.source, 'invalid configuration', [
      { path, message: `${err.message} (after environment overrides)` },
    ]);
  }
  return { config: resolvePaths(result.data, opts.baseDir), gateway, source: opts.source, input };
}

/** The configuration with `{runId}` replaced in memory's paths (see `orreryConfigSchema`'s `memory`). */
export function forRun(c: OrreryConfig, runId: string): OrreryConfig {
  assertRunId(runId, 'run id');
  if (c.memory === false) return c;
  const sub = (p: string) => p.replaceAll('{runId}', runId);
  const chroma =
    c.memory.chroma.mode === 'embedded'
      ? { ...c.memory.chroma, dataDir: sub(c.memory.chroma.dataDir) }
      : c.memory.chroma;
  return { ...c, memory: { ...c.memory, dbPath: sub(c.memory.dbPath), chroma } };
}

/** Zod issues as key paths and messages (now `@orrery/broker`'s; the serve routes read it from here). */
export { toIssues };

function resolvePaths(c: OrreryConfig, base: string): OrreryConfig {
  const abs = (p: string) => (p === ':memory:' || isAbsolute(p) ? p : resolve(base, p));
  const memory =
    c.memory === false
      ? false
      : {
          ...c.memory,
          dbPath: abs(c.memory.dbPath),
          chroma:
            c.memory.chroma.mode === 'embedded'
              ? { ...c.memory.chroma, dataDir: abs(c.memory.chroma.dataDir) }
              : c.memory.chroma,
        };
  const logFile = c.delegation.logFile;
  return {
    ...c,
    memory,
    learning: c.learning === false ? false : { ...c.learning, dbPath: abs(c.learning.dbPath) },
    delegation: logFile === undefined ? c.delegation : { ...c.delegation, logFile: abs(logFile) },
    run: {
      ...c.run,
      data: c.run.data.map((d) => (isBundledName(d.source) ? d : { ...d, source: abs(d.source) })),
      ledgerPath: abs(c.run.ledgerPath),
      gatewayDbPath: abs(c.run.gatewayDbPath),
      reportPath: abs(c.run.reportPath),
      ...(c.run.news === undefined ? {} : { news: { ...c.run.news, file: abs(c.run.news.file) } }),
    },
  };
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
