import type { UsageReport, UsageRow } from '@orrery/core';

/** The usage report as text: the totals, then tables by task type and by model. */
export function formatUsage(r: UsageReport, source: string): string {
  const t = r.total;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  const lines = [
    `LLM usage ${day(r.since)} → ${day(r.until)} UTC (${source})`,
    `calls ${t.calls} (ok ${t.callsOk}, failed ${t.callsFailed}; success ${pct(t.successRate)}) · refused ${t.refusals} · cache hits ${t.cacheHits}`,
    `tokens in ${int(t.tokensIn)} · out ${int(t.tokensOut)} · average latency ${ms(t.avgLatencyMs)}`,
    `cost ${usd(t.costUsd)} · on ${r.referenceModel.name} ${usd(t.referenceCostUsd)} · saved ${usd(t.savingsUsd)}`,
  ];
  if (t.calls + t.refusals + t.cacheHits === 0)
    return [...lines, '', 'no LLM calls in this period'].join('\n');
  return [...lines, '', table('task', r.byTask), '', table('model', r.byModel)].join('\n');
}

const HEAD = ['calls', 'ok %', 'refused', 'tokens in', 'tokens out', 'avg latency', 'cost', 'saved'];

function table(title: string, rows: readonly UsageRow[]): string {
  const body = rows.map((x) => [
    x.key,
    String(x.calls),
    pct(x.successRate),
    String(x.refusals),
    int(x.tokensIn),
    int(x.tokensOut),
    ms(x.avgLatencyMs),
    usd(x.costUsd),
    usd(x.savingsUsd),
  ]);
  const all = [[`by ${title}`, ...HEAD], ...body];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => (r[i + 1] ?? '').length)));
  const first = Math.max(...all.map((r) => (r[0] ?? '').length));
  return all
    .map((r) =>
      [(r[0] ?? '').padEnd(first), ...widths.map((w, i) => (r[i + 1] ?? '').padStart(w))].join('  '),
    )
    .join('\n');
}

function pct(rate: number | null): string {
  return rate === null ? '–' : `${(rate * 100).toFixed(1)} %`;
}

function ms(v: number | null): string {
  return v === null ? '–' : `${Math.round(v)} ms`;
}

function usd(v: number): string {
  return `$${v.toFixed(4)}`;
}

function int(v: number): string {
  return v.toLocaleString('en-US');
}
