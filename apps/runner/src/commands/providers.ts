import { fallbackChain } from '@orrery/core';
import type { Command } from 'commander';
import { positiveInt } from '../delegation/cli-options.ts';
import { failCommand } from '../delegation/fail.ts';
import { loadDelegationSetup } from '../delegation/load.ts';
import { type ProviderStatus, probeProviders } from '../delegation/provider-probe.ts';
import type { CliIO } from './io.ts';

/** One task type's chain, as `orrery providers` shows it. */
interface Route {
  task: string;
  chain: { provider: string; model: string; available: boolean }[];
}

/** Registers `orrery providers`. */
export function registerProvidersCommand(program: Command, io: CliIO): void {
  program
    .command('providers')
    .description(
      'check each configured LLM provider: does it answer, which models it has (Ollama: installed), and the chain of each task type',
    )
    .option('--json', 'print the result as JSON')
    .option('--timeout <ms>', 'time limit of each probe', positiveInt, 3_000)
    .option('-c, --config <file>', 'YAML configuration file (default: ./orrery.yaml when present)')
    .action(async (flags: { json?: boolean; timeout: number; config?: string }) => {
      const { loaded, delegation } = loadDelegationSetup({ file: flags.config, env: io.env, cwd: io.cwd });
      const providers = await probeProviders(loaded.gateway, flags.timeout);
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
      if (flags.json === true)
        io.out(JSON.stringify({ ok: problems.length === 0, providers, routes }, null, 2));
      else io.out(formatProviders(providers, routes));
      if (problems.length > 0) {
        for (const line of problems.slice(0, -1)) io.err(`error: ${line}`);
        failCommand(io, 'orrery.providers.problem', problems.at(-1) as string);
      }
    });
}

function formatProviders(providers: readonly ProviderStatus[], routes: readonly Route[]): string {
  const w = Math.max(...providers.map((p) => p.name.length), 4);
  const lines = providers.map((p) => {
    const state = p.ok
      ? `ok (${Math.round(p.latencyMs)} ms)`
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
