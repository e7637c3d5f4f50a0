import { fallbackChain, type GatewayConfig } from '@orrery/core';
import { failCommand } from '../../delegation/fail.ts';
import { loadDelegationSetup } from '../../delegation/load.ts';
import { type ProviderStatus, probeProviders } from '../../delegation/provider-probe.ts';
import type { CliIO } from '../io.ts';
import type { ProvidersFlags } from '../providers.ts';

/** One task type's chain, as `orrery providers` shows it. */
interface Route {
  task: string;
  chain: { provider: string; model: string; available: boolean }[];
}

/** Runs `orrery providers` (see its registration in ../providers.ts). */
export async function checkProviders(flags: ProvidersFlags, io: CliIO): Promise<void> {
  const { loaded, delegation } = loadDelegationSetup({ file: flags.config, env: io.env, cwd: io.cwd });
  const providers = withKeyProblems(loaded.gateway, await probeProviders(loaded.gateway, flags.timeout));
  const byName = new Map(providers.map((p) => [p.name, p]));
  const routes: Route[] = Object.keys(delegation.tasks).map((task) => ({
    task,
    chain: fallbackChain(loaded.gateway, task).map((c) => {
      const p = byName.get(c.provider);
      return {
        provider: c.provider,
        model: c.model,
        available: p?.ok === true && !p.missing.includes(c.model),
      };
    }),
  }));
  const problems = providers.filter((p) => p.used).flatMap((p) => p.problems);
  if (flags.json === true) io.out(JSON.stringify({ ok: problems.length === 0, providers, routes }, null, 2));
  else io.out(formatProviders(providers, routes));
  if (problems.length > 0) {
    for (const line of problems.slice(0, -1)) io.err(`error: ${line}`);
    failCommand(io, 'orrery.providers.problem', problems.at(-1) as string);
  }
}

/** Environment variables the gateway reads keys from by default (see `GATEWAY_ENV_KEYS`). */
const DEFAULT_KEY_ENV: Readonly<Record<string, string>> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
};

/** Public endpoints that answer nothing useful without a key. */
const KEYED_HOSTS = new Set(['api.openai.com', 'api.anthropic.com']);

/**
 * A provider whose key is missing — its `apiKey: { env }` variable unset, or a public API without a key —
 * is reported as such, instead of the connection failure or 401 the probe saw.
 */
function withKeyProblems(config: GatewayConfig, statuses: ProviderStatus[]): ProviderStatus[] {
  return statuses.map((st) => {
    const p = config.providers[st.name];
    if (p === undefined || p.apiKey !== undefined || st.local) return st;
    const env = p.apiKeyEnv ?? DEFAULT_KEY_ENV[st.name];
    const host = safeHost(p.baseUrl);
    if (p.apiKeyEnv === undefined && !KEYED_HOSTS.has(host)) return st;
    const how =
      env === undefined
        ? `set providers.${st.name}.apiKey: { env: NAME } and export NAME`
        : p.apiKeyEnv !== undefined
          ? `$${env} is not set — export it`
          : `set $${env}, or providers.${st.name}.apiKey: { env: NAME }`;
    return { ...st, ok: false, problems: [`${st.name}: no API key (${how}); not probed further`] };
  });
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

function formatProviders(providers: readonly ProviderStatus[], routes: readonly Route[]): string {
  const w = Math.max(...providers.map((p) => p.name.length), 4);
  const lines = providers.map((p) => {
    const state = p.ok
      ? `ok (${Math.round(p.latencyMs)} ms)`
      : p.problems.some((x) => x.includes('no API key'))
        ? 'no API key'
        : p.status !== undefined
          ? `HTTP ${p.status}`
          : 'not answering';
    const kind = p.server === 'ollama' ? 'ollama' : `${p.kind}${p.local ? ', local' : ''}`;
    const models =
      p.models === undefined
        ? ''
        : p.server === 'ollama'
          ? ` · installed: ${p.models.length === 0 ? '(none)' : p.models.join(', ')}`
          : ` · ${p.models.length} models listed`;
    const unused = p.used ? '' : ' · not routed to';
    const issues = p.problems.map((x) => `\n    ✗ ${x}`).join('');
    return `${p.name.padEnd(w)}  ${state} · ${kind} · ${p.baseUrl}${models}${unused}${issues}`;
  });
  const tw = Math.max(...routes.map((r) => r.task.length), 4);
  const routeLines = routes.map(
    (r) =>
      `  ${r.task.padEnd(tw)}  ${
        r.chain.length === 0
          ? '(no model: add gateway.routing.rules.<task>)'
          : r.chain.map((c) => `${c.provider}/${c.model}${c.available ? '' : ' ✗'}`).join(' → ')
      }`,
  );
  return [...lines, '', 'task chains (gateway.routing; ✗ = unavailable now):', ...routeLines].join('\n');
}
