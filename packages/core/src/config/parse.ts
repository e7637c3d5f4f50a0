import type { z } from 'zod';
import { LLMConfigError } from '../errors.ts';
import { BUILTIN_PROVIDER_KIND_NAMES, unknownKind } from '../providers/registry.ts';
import { DEFAULT_PRICES, DEFAULT_PROVIDERS } from './defaults.ts';
import { type GatewayConfig, gatewayConfigSchema } from './schema.ts';

/** Environment variables that override the configuration (empty values are ignored). */
export const GATEWAY_ENV_KEYS = [
  'OPENAI_BASE_URL',
  'OPENAI_API_KEY',
  'ANTHROPIC_BASE_URL',
  'ANTHROPIC_API_KEY',
  'OLLAMA_BASE_URL',
] as const;

const parsed = new WeakSet<object>();

/**
 * Validates a gateway configuration, applies defaults and environment overrides, and returns the
 * parsed {@link GatewayConfig}.
 *
 * Environment (`env`, default `{}` — packages never read `process.env`; the runner passes it):
 * - `OPENAI_BASE_URL`, `OPENAI_API_KEY` → `providers.openai` (created as `kind: 'openai'` if missing);
 * - `ANTHROPIC_BASE_URL`, `ANTHROPIC_API_KEY` → `providers.anthropic` (created as `kind: 'anthropic'`);
 * - `OLLAMA_BASE_URL` (e.g. `http://localhost:11434`; `/v1` is appended when absent) →
 *   `routing.localBaseUrl` and the trivial-task provider's `baseUrl`.
 *
 * After validation the trivial-task provider is added from `routing.localBaseUrl` (OpenAI wire, local)
 * when `providers` lacks it, and `prices` is merged over the defaults.
 *
 * Each provider's `kind` must be built in (`openai`, `anthropic`) or one of `opts.providerKinds` (the
 * kinds a caller registers with `createGateway(config, { providers })`).
 *
 * @throws {LLMConfigError} naming the first offending key in `path` (e.g. `budget.maxCallsPerHour`);
 *   the message lists up to five problems. Values (and so keys) are never quoted.
 */
export function parseGatewayConfig(
  input: unknown,
  env: Record<string, string | undefined> = {},
  opts: { providerKinds?: readonly string[] } = {},
): GatewayConfig {
  if (input !== undefined && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw new LLMConfigError('invalid gateway config: expected an object', { path: '' });
  }
  let copy: Record<string, unknown>;
  try {
    copy = structuredClone((input ?? {}) as Record<string, unknown>);
  } catch (err) {
    throw new LLMConfigError(
      'invalid gateway config: it must be plain data (no functions or class instances)',
      {
        path: '',
        cause: err,
      },
    );
  }
  const raw = withDefaultRule(withEnv(copy, env));
  const result = gatewayConfigSchema.safeParse(raw);
  if (!result.success) throw toConfigError(result.error);
  const config = result.data as unknown as GatewayConfig;
  const kinds = new Set([...BUILTIN_PROVIDER_KIND_NAMES, ...(opts.providerKinds ?? [])]);
  for (const [name, p] of Object.entries(config.providers)) {
    if (!kinds.has(p.kind)) throw unknownKind(name, p.kind, opts.providerKinds ?? []);
  }
  for (const p of Object.values(config.providers)) {
    const key = p.apiKey as unknown;
    if (typeof key === 'object' && key !== null) {
      const name = (key as { env: string }).env;
      const value = env[name]?.trim();
      p.apiKeyEnv = name;
      if (value === undefined || value === '') delete p.apiKey;
      else p.apiKey = value;
    }
  }
  const r = config.routing;
  if (!(r.trivialTaskProvider in config.providers)) {
    config.providers[r.trivialTaskProvider] = {
      kind: 'openai',
      baseUrl: r.localBaseUrl,
      timeoutMs: r.trivial.timeoutMs,
      local: true,
      jsonMode: 'json_schema',
    };
  }
  config.prices = { ...DEFAULT_PRICES, ...config.prices };
  parsed.add(config);
  return config;
}

/** True when `value` came out of {@link parseGatewayConfig} (so it need not be parsed again). */
export function isParsedGatewayConfig(value: unknown): value is GatewayConfig {
  return typeof value === 'object' && value !== null && parsed.has(value);
}

function withEnv(
  raw: Record<string, unknown>,
  env: Record<string, string | undefined>,
): Record<string, unknown> {
  const get = (k: string) => {
    const v = env[k]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const overrides: [string, 'openai' | 'anthropic', string | undefined, string | undefined][] = [
    ['openai', 'openai', get('OPENAI_BASE_URL'), get('OPENAI_API_KEY')],
    ['anthropic', 'anthropic', get('ANTHROPIC_BASE_URL'), get('ANTHROPIC_API_KEY')],
  ];
  const ollama = get('OLLAMA_BASE_URL');
  if (overrides.every(([, , url, key]) => url === undefined && key === undefined) && ollama === undefined)
    return raw;

  const providers = obj(raw.providers ?? structuredClone(DEFAULT_PROVIDERS));
  raw.providers = providers;
  for (const [name, kind, baseUrl, apiKey] of overrides) {
    if (baseUrl === undefined && apiKey === undefined) continue;
    const p = obj(
      providers[name] ?? { kind, baseUrl: DEFAULT_PROVIDERS[name as keyof typeof DEFAULT_PROVIDERS].baseUrl },
    );
    if (baseUrl !== undefined) p.baseUrl = baseUrl;
    if (apiKey !== undefined) p.apiKey = apiKey;
    providers[name] = p;
  }
  if (ollama !== undefined) {
    const url = ollamaV1(ollama);
    const routing = obj(raw.routing ?? {});
    raw.routing = routing;
    routing.localBaseUrl = url;
    const name = typeof routing.trivialTaskProvider === 'string' ? routing.trivialTaskProvider : 'ollama';
    const existing = providers[name];
    if (existing !== undefined) obj(existing).baseUrl = url;
  }
  return raw;
}

/**
 * The built-in default rule prefers `openai/gpt-4o-mini`; when the configured providers have no `openai`,
 * an omitted `routing.default` becomes an empty rule instead of an error.
 */
function withDefaultRule(raw: Record<string, unknown>): Record<string, unknown> {
  const providers = raw.providers;
  const routing = raw.routing;
  if (providers === undefined || typeof providers !== 'object' || providers === null || 'openai' in providers)
    return raw;
  if (routing !== undefined && (typeof routing !== 'object' || routing === null)) return raw;
  const r = obj(routing ?? {});
  if (r.default === undefined) {
    r.default = {};
    raw.routing = r;
  }
  return raw;
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function ollamaV1(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/v1$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
}

function toConfigError(error: z.ZodError): LLMConfigError {
  const where = (i: z.core.$ZodIssue) => i.path.map(String).join('.');
  const first = error.issues[0];
  const list = error.issues
    .slice(0, 5)
    .map((i) => `${where(i) || '(root)'}: ${i.message}`)
    .join('; ');
  return new LLMConfigError(`invalid gateway config — ${list}`, {
    path: first === undefined ? '' : where(first),
  });
}
