import type { GatewayConfig } from '@orrery/core';
import { request } from 'undici';

/** What `orrery providers` found out about one configured provider. */
export interface ProviderStatus {
  name: string;
  kind: 'openai' | 'anthropic';
  /** The base URL (credentials in it removed). */
  baseUrl: string;
  local: boolean;
  /** Routed to by some rule (or the enabled trivial-task model): its problems fail the command. */
  used: boolean;
  /** The server type as detected: Ollama (`/api/tags` answered), or the configured wire. */
  server: 'ollama' | 'openai' | 'anthropic';
  /** The listing answered with a 2xx. */
  ok: boolean;
  /** HTTP status of the listing, when one came back. */
  status?: number | undefined;
  /** Milliseconds the probe took. */
  latencyMs: number;
  /** Models the server lists (for Ollama: the installed ones); absent when it did not answer. */
  models?: string[] | undefined;
  /** Models the configuration routes to on this provider. */
  configured: string[];
  /** Configured models the listing lacks. */
  missing: string[];
  /** One line per problem, each naming the fix. */
  problems: string[];
}

/** Models the configuration routes to, by provider: every rule's `prefer`, the default rule, the trivial model when enabled. */
export function configuredModels(config: GatewayConfig): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const add = (provider: string, model: string) => {
    const set = out.get(provider) ?? new Set<string>();
    set.add(model);
    out.set(provider, set);
  };
  const r = config.routing;
  for (const rule of [r.default, ...Object.values(r.rules)])
    for (const t of rule.prefer) add(t.provider, t.model);
  if (r.trivial.enabled) add(r.trivialTaskProvider, r.trivialTaskModel);
  return out;
}

/**
 * Probes every configured provider concurrently with one cheap GET listing its models — Ollama
 * `/api/tags` for local providers (falling back to the OpenAI `/models` when that is not Ollama),
 * `{baseUrl}/models` for OpenAI-compatible ones, `/v1/models` for Anthropic — and compares the listing with
 * the models the configuration routes to. Never throws: failures are in `problems`.
 */
export async function probeProviders(config: GatewayConfig, timeoutMs: number): Promise<ProviderStatus[]> {
  const wanted = configuredModels(config);
  // Only the built-in wires have a listing to probe (a runner configuration has no other kinds).
  const wires = Object.entries(config.providers).flatMap(([name, p]) =>
    isWire(p.kind) ? [{ name, p, kind: p.kind }] : [],
  );
  return Promise.all(
    wires.map(({ name, p, kind }) =>
      probeOne(
        name,
        {
          kind,
          baseUrl: p.baseUrl,
          apiKey: p.apiKey,
          local: p.local || name === config.routing.trivialTaskProvider,
        },
        [...(wanted.get(name) ?? [])],
        timeoutMs,
      ),
    ),
  );
}

function isWire(kind: string): kind is 'openai' | 'anthropic' {
  return kind === 'openai' || kind === 'anthropic';
}

interface Listing {
  status: number;
  json: unknown;
}

/** What a provider is probed with. */
interface ProbeTarget {
  kind: 'openai' | 'anthropic';
  baseUrl: string;
  apiKey?: string | undefined;
  local: boolean;
}

async function probeOne(
  name: string,
  p: ProbeTarget,
  configured: string[],
  timeoutMs: number,
): Promise<ProviderStatus> {
  const started = performance.now();
  const base = p.baseUrl.replace(/\/+$/, '');
  const status: ProviderStatus = {
    name,
    kind: p.kind,
    baseUrl: publicUrl(base),
    local: p.local,
    used: configured.length > 0,
    server: p.kind,
    ok: false,
    latencyMs: 0,
    configured,
    missing: [],
    problems: [],
  };
  try {
    const listing =
      (await ollamaListing(name, p, base, status, timeoutMs)) ?? (await modelListing(p, base, timeoutMs));
    status.status = listing.status;
    status.ok = listing.status >= 200 && listing.status < 300;
    if (status.ok) status.models = modelNames(listing.json, status.server);
    else status.problems.push(httpProblem(name, p, listing.status));
  } catch (err) {
    status.problems.push(
      `${name}: not answering at ${status.baseUrl} (${reason(err)}) — start the server or fix providers.${name}.baseUrl`,
    );
  }
  status.latencyMs = performance.now() - started;
  if (status.models !== undefined) noteMissing(name, status, configured, status.models);
  return status;
}

/** A local OpenAI-compatible server (or `ollama`) that lists its models at `/api/tags` is Ollama. */
async function ollamaListing(
  name: string,
  p: ProbeTarget,
  base: string,
  status: ProviderStatus,
  timeoutMs: number,
): Promise<Listing | undefined> {
  if (p.kind !== 'openai' || !(p.local || name === 'ollama')) return undefined;
  const tags = await get(`${base.replace(/\/v1$/, '')}/api/tags`, {}, timeoutMs).catch(() => undefined);
  if (tags === undefined || tags.status !== 200 || !Array.isArray(field(tags.json, 'models')))
    return undefined;
  status.server = 'ollama';
  return tags;
}

/** The wire's own model listing (`/models`, Anthropic's `/v1/models`), with the key when there is one. */
function modelListing(p: ProbeTarget, base: string, timeoutMs: number): Promise<Listing> {
  const headers: Record<string, string> =
    p.kind === 'anthropic'
      ? {
          'anthropic-version': '2023-06-01',
          ...(p.apiKey === undefined ? {} : { 'x-api-key': p.apiKey }),
        }
      : p.apiKey === undefined
        ? {}
        : { authorization: `Bearer ${p.apiKey}` };
  return get(p.kind === 'anthropic' ? `${base}/v1/models` : `${base}/models`, headers, timeoutMs);
}

/** Each configured model the server does not list, as a problem saying how to get it. */
function noteMissing(name: string, status: ProviderStatus, configured: string[], listed: string[]): void {
  status.missing = configured.filter((m) => !hasModel(listed, m, status.server));
  for (const m of status.missing)
    status.problems.push(
      status.server === 'ollama'
        ? `${name}: model ${m} is not installed — run \`ollama pull ${m}\``
        : `${name}: model ${m} is not listed by ${status.baseUrl} — check the model name in gateway.routing`,
    );
}

function httpProblem(name: string, p: { kind: string; apiKey?: string | undefined }, status: number): string {
  if (status === 401 || status === 403) {
    const envKey = p.kind === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY';
    return p.apiKey === undefined
      ? `${name}: answers, but needs an API key (HTTP ${status}) — set ${envKey} or providers.${name}.apiKey`
      : `${name}: rejected the API key (HTTP ${status}) — check ${envKey} or providers.${name}.apiKey`;
  }
  return `${name}: the model listing answered HTTP ${status} — check providers.${name}.baseUrl`;
}

/** Ollama lists `name:tag`; a model configured without a tag means `:latest`. */
function hasModel(listed: readonly string[], model: string, server: ProviderStatus['server']): boolean {
  if (listed.includes(model)) return true;
  return server === 'ollama' && !model.includes(':') && listed.includes(`${model}:latest`);
}

function modelNames(json: unknown, server: ProviderStatus['server']): string[] {
  const list = server === 'ollama' ? field(json, 'models') : field(json, 'data');
  if (!Array.isArray(list)) return [];
  const names: string[] = [];
  for (const m of list) {
    const n = server === 'ollama' ? (field(m, 'name') ?? field(m, 'model')) : field(m, 'id');
    if (typeof n === 'string') names.push(n);
  }
  return names;
}

async function get(url: string, headers: Record<string, string>, timeoutMs: number): Promise<Listing> {
  const res = await request(url, {
    method: 'GET',
    headers: { accept: 'application/json', ...headers },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json };
}

function reason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const cause = (err as { cause?: unknown }).cause;
    const causeCode = cause instanceof Error ? (cause as { code?: unknown }).code : undefined;
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'no answer in time';
    return typeof causeCode === 'string' ? causeCode : typeof code === 'string' ? code : err.message;
  }
  return String(err);
}

function publicUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return url;
  }
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
