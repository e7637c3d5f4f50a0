import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Fill } from '@orrery/broker';
import type { FeedReport } from '@orrery/feeds';
import type { RunRoi } from '../accountability/run-roi.ts';
import { yearTable } from '../metrics/monthly.ts';
import { drawdowns } from '../metrics/performance.ts';
import type { RouteSummary } from '../metrics/routing.ts';
import type { Scoreboard } from '../metrics/scoreboard.ts';
import { profitFactorText, summaryRows, symbolTable } from './summary-text.ts';

/** Everything the HTML report shows. Times are epoch ms. */
export interface ReportInput {
  readonly title: string;
  readonly runId: string;
  readonly symbol: string;
  /** Where the bars came from, one line. */
  readonly dataSource: string;
  readonly generatedAt: number;
  /** The figures, the benchmark, per-symbol rows, trades, monthly returns and LLM spend. */
  readonly scoreboard: Scoreboard;
  /** Equity after each bar. */
  readonly equity: readonly { time: number; equity: number }[];
  /** Drawdown (0..1) on the same times. */
  readonly drawdown: readonly number[];
  /** Closes of the first symbol, and its fills (the price chart). */
  readonly prices: readonly { time: number; close: number }[];
  readonly fills: readonly Fill[];
  /** Mode percentages per time window. */
  readonly modeMix: readonly { time: number; pct: Record<string, number> }[];
  /** How reasoning cycles were routed (leaves reached, planets consulted and timed out) and the bus traffic. */
  readonly routing?: RouteSummary | undefined;
  readonly feedReport?: FeedReport;
  /** Lines worth saying (fell back to consensus, resumed at…). */
  readonly notes: readonly string[];
  /** The LLM's worth against the no-LLM planet consensus: figures, and a chart of both equity curves. */
  readonly roi?: RunRoi | undefined;
}

/** The ids of the chart containers, also the keys of `window.orreryCharts` in the page. */
export const REPORT_CHARTS = ['equity', 'drawdown', 'price', 'modes', 'spend'] as const;
/** The id of the chart added when the report has an LLM ROI: the run's equity against the no-LLM consensus's. */
export const LLM_CHART = 'llm';
/** The ids of the report's tables (`<table id="table-…">`). */
export const REPORT_TABLES = ['summary', 'symbols', 'routing', 'monthly', 'trades'] as const;
/** Trades listed in the page at most (the CSV export has them all). */
export const REPORT_TRADE_ROWS = 2000;

let echartsSource: string | undefined;
function echartsJs(): string {
  if (echartsSource === undefined) {
    const path = createRequire(import.meta.url).resolve('echarts/dist/echarts.min.js');
    echartsSource = readFileSync(path, 'utf8').replaceAll('</script', '<\\/script');
  }
  return echartsSource;
}

/**
 * Renders a self-contained HTML page: ECharts is inlined, the data is embedded as JSON, nothing is
 * fetched, so the file opens offline. Charts: equity vs buy-and-hold (linear or log scale), drawdown of
 * both, price with the fills marked, the execution-mode mix over time and the cumulative LLM spend.
 * Tables: the summary, per-symbol rows, monthly returns (year × month) and the trade list.
 */
export function renderHtmlReport(input: ReportInput): string {
  const sb = input.scoreboard;
  const bh = sb.benchmark.equity;
  const bhDrawdown = drawdowns(bh.map((p) => p.equity));
  const data = {
    equity: input.equity.map((p, i) => [p.time, round(p.equity), round(bh[i]?.equity ?? Number.NaN)]),
    drawdown: input.equity.map((p, i) => [
      p.time,
      round(-100 * (input.drawdown[i] ?? 0)),
      round(-100 * (bhDrawdown[i] ?? 0)),
    ]),
    price: input.prices.map((p) => [p.time, p.close]),
    buys: input.fills.filter((f) => f.side === 'buy').map((f) => [f.time, round(f.price), round(f.qty)]),
    sells: input.fills.filter((f) => f.side === 'sell').map((f) => [f.time, round(f.price), round(f.qty)]),
    modes: input.modeMix.map((m) => [
      m.time,
      round(m.pct.MONITOR_ONLY ?? 0),
      round(m.pct.LIGHT_REASONING ?? 0),
      round(m.pct.FULL_AGENT ?? 0),
    ]),
    spend: sb.spend.map((p) => [p.time, round(p.costUsd), p.calls]),
    // A log axis needs positive values: the toggle is offered only then.
    logOk: input.equity.every((p) => p.equity > 0) && bh.every((p) => p.equity > 0),
    llm: llmRows(input),
  };
  const rows = summaryRows(sb, input.roi?.roi)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('');
  const notes = input.notes.map((n) => `<li>${esc(n)}</li>`).join('');
  const feed = input.feedReport
    ? `<p class="muted">Data: kept ${input.feedReport.kept} of ${input.feedReport.rowsRead} rows; dropped ${input.feedReport.droppedTotal}${Object.entries(
        input.feedReport.dropped,
      )
        .map(([r, c]) => ` · ${esc(r)} ${c.count}`)
        .join('')}.</p>`
    : '';
  const json = JSON.stringify(data).replaceAll('<', '\\u003c');
  const spendNote = sb.callsAvoided.llmReachable
    ? ''
    : '<p class="muted">No LLM was reachable: the planets decided every cycle deterministically; nothing was spent.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:20px 0 6px}.muted{color:#666}
.grid{display:grid;grid-template-columns:minmax(260px,420px) 1fr;gap:16px;align-items:start}
table{border-collapse:collapse;background:#fff}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
th{font-weight:500;color:#555;white-space:nowrap}.chart{height:320px;background:#fff;margin-bottom:16px}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.pos{color:#1b7a32}.neg{color:#b3261e}
.scroll{max-height:480px;overflow:auto;border:1px solid #eee}.tools{margin:0 0 4px}
</style></head><body>
<h1>${esc(input.title)}</h1>
<p class="muted">Run <b>${esc(input.runId)}</b> · ${esc(input.symbol)} · ${esc(input.dataSource)} · generated ${esc(new Date(input.generatedAt).toISOString())}</p>
${feed}${notes ? `<ul>${notes}</ul>` : ''}
<div class="grid"><div><table id="table-summary">${rows}</table>
<h2>Per symbol</h2>${symbolsHtml(sb)}
</div><div>
<p class="tools"><label><input type="checkbox" id="log-equity"${data.logOk ? '' : ' disabled'}> log scale</label></p>
<div id="chart-equity" class="chart"></div>
<div id="chart-drawdown" class="chart"></div>
<div id="chart-price" class="chart"></div>
<div id="chart-modes" class="chart"></div>
<h2>Routing and bus</h2>${routingHtml(input.routing)}
${spendNote}<div id="chart-spend" class="chart"></div>
${input.roi ? `<div id="chart-${LLM_CHART}" class="chart"></div>` : ''}
</div></div>
<h2>Monthly returns (%)</h2>${monthlyHtml(sb)}
<h2>Trades</h2>${tradesHtml(sb)}
<script>${echartsJs()}</script>
<script type="application/json" id="orrery-data">${json}</script>
<script>
(function () {
  var d = JSON.parse(document.getElementById('orrery-data').textContent);
  var time = { type: 'time' };
  var zoom = [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 4 }];
  var base = { animation: false, tooltip: { trigger: 'axis' }, grid: { left: 60, right: 60, top: 40, bottom: 50 }, dataZoom: zoom, xAxis: time };
  function t(text) { return { text: text, left: 10, top: 6, textStyle: { fontSize: 14 } }; }
  function chart(id, opt) { var c = echarts.init(document.getElementById('chart-' + id)); c.setOption(Object.assign({}, base, opt)); return c; }
  window.orreryCharts = {
    equity: chart('equity', { title: t('Equity vs buy-and-hold'), legend: { top: 4, right: 10 }, yAxis: { type: 'value', scale: true },
      dataset: { source: d.equity },
      series: [{ name: 'strategy', type: 'line', showSymbol: false, sampling: 'lttb', encode: { x: 0, y: 1 } },
               { name: 'buy & hold', type: 'line', showSymbol: false, sampling: 'lttb', encode: { x: 0, y: 2 }, lineStyle: { type: 'dashed' } }] }),
    drawdown: chart('drawdown', { title: t('Drawdown (%)'), legend: { top: 4, right: 10 }, yAxis: { type: 'value', max: 0 },
      dataset: { source: d.drawdown },
      series: [{ name: 'drawdown', type: 'line', showSymbol: false, sampling: 'lttb', areaStyle: { opacity: 0.3 }, color: '#c23531', encode: { x: 0, y: 1 } },
               { name: 'buy & hold', type: 'line', showSymbol: false, sampling: 'lttb', color: '#888', lineStyle: { type: 'dashed' }, encode: { x: 0, y: 2 } }] }),
    price: chart('price', { title: t('Price and trades'), legend: { top: 4, right: 10 }, yAxis: { type: 'value', scale: true },
      series: [{ name: 'close', type: 'line', showSymbol: false, sampling: 'lttb', color: '#555', data: d.price },
               { name: 'buy', type: 'scatter', symbol: 'triangle', symbolSize: 8, color: '#2e9e44', data: d.buys },
               { name: 'sell', type: 'scatter', symbol: 'triangle', symbolRotate: 180, symbolSize: 8, color: '#d23c3c', data: d.sells }] }),
    modes: chart('modes', { title: t('Execution mode mix over time (%)'), legend: { top: 4, right: 10 }, yAxis: { type: 'value', max: 100 },
      dataset: { source: d.modes },
      series: [{ name: 'MONITOR_ONLY', type: 'line', stack: 'm', areaStyle: {}, showSymbol: false, encode: { x: 0, y: 1 } },
               { name: 'LIGHT_REASONING', type: 'line', stack: 'm', areaStyle: {}, showSymbol: false, encode: { x: 0, y: 2 } },
               { name: 'FULL_AGENT', type: 'line', stack: 'm', areaStyle: {}, showSymbol: false, encode: { x: 0, y: 3 } }] }),
    spend: chart('spend', { title: t('LLM spend over time (cumulative)'), legend: { top: 4, right: 10 },
      yAxis: [{ type: 'value', min: 0 }, { type: 'value', min: 0, minInterval: 1, splitLine: { show: false } }],
      dataset: { source: d.spend },
      series: [{ name: 'cost (USD)', type: 'line', step: 'end', showSymbol: false, encode: { x: 0, y: 1 }, yAxisIndex: 0 },
               { name: 'calls', type: 'line', step: 'end', showSymbol: false, encode: { x: 0, y: 2 }, yAxisIndex: 1, lineStyle: { type: 'dashed' } }] }),
  };
  if (d.llm) window.orreryCharts.llm = chart('llm', { title: t('With the LLM vs the no-LLM planet consensus'), legend: { top: 4, right: 10 }, yAxis: { type: 'value', scale: true },
      dataset: { source: d.llm },
      series: [{ name: 'with LLM', type: 'line', showSymbol: false, sampling: 'lttb', encode: { x: 0, y: 1 } },
               { name: 'no-LLM consensus', type: 'line', showSymbol: false, sampling: 'lttb', encode: { x: 0, y: 2 }, lineStyle: { type: 'dashed' } }] });
  var log = document.getElementById('log-equity');
  log.addEventListener('change', function () {
    window.orreryCharts.equity.setOption({ yAxis: log.checked ? { type: 'log', scale: true, logBase: 10 } : { type: 'value', scale: true } });
  });
  window.addEventListener('resize', function () { for (var k in window.orreryCharts) window.orreryCharts[k].resize(); });
})();
</script></body></html>
`;
}

const pctCell = (v: number | null) =>
  v === null
    ? '<td class="n">n/a</td>'
    : `<td class="n ${v > 0 ? 'pos' : v < 0 ? 'neg' : ''}">${(v * 100).toFixed(2)}</td>`;

function symbolsHtml(sb: Scoreboard): string {
  const [head, ...body] = symbolTable(sb);
  const th = head!.map((h, i) => `<th${i > 0 ? ' class="n"' : ''}>${esc(h)}</th>`).join('');
  const tr = body
    .map(
      (r) =>
        `<tr>${r.map((c, i) => (i === 0 ? `<td>${esc(c)}</td>` : `<td class="n">${esc(c)}</td>`)).join('')}</tr>`,
    )
    .join('');
  const bench =
    sb.benchmark.kind === 'equal-weight'
      ? `<p class="muted">Buy &amp; hold is equal-weight: the cash split across ${sb.benchmark.symbols.map(esc).join(', ')}.</p>`
      : '';
  return `<table id="table-symbols"><thead><tr>${th}</tr></thead><tbody>${tr}</tbody></table>${bench}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function monthlyHtml(sb: Scoreboard): string {
  const head = `<tr><th>year</th>${MONTHS.map((m) => `<th class="n">${m}</th>`).join('')}<th class="n">year</th></tr>`;
  const body = yearTable(sb.monthly)
    .map(
      (y) =>
        `<tr><th>${y.year}</th>${y.months.map((m) => (m === null ? '<td></td>' : pctCell(m))).join('')}${pctCell(y.total)}</tr>`,
    )
    .join('');
  return `<table id="table-monthly"><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function tradesHtml(sb: Scoreboard): string {
  const t = sb.tradeStats;
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const shown = sb.trades.slice(0, REPORT_TRADE_ROWS);
  const head =
    '<tr><th>symbol</th><th>side</th><th>entry</th><th class="n">entry price</th><th>exit</th><th class="n">exit price</th><th class="n">P&amp;L</th><th class="n">return %</th><th class="n">bars</th><th class="n">days</th><th>exit reason</th></tr>';
  const body = shown
    .map(
      (x) =>
        `<tr><td>${esc(x.symbol)}</td><td>${x.side}</td><td>${day(x.entryTime)}</td><td class="n">${num(x.entryPrice)}</td><td>${x.status === 'open' ? 'open' : day(x.exitTime)}</td><td class="n">${num(x.exitPrice)}</td><td class="n ${x.pnl > 0 ? 'pos' : x.pnl < 0 ? 'neg' : ''}">${x.pnl.toFixed(2)}</td>${pctCell(x.returnFraction)}<td class="n">${x.bars}</td><td class="n">${x.days.toFixed(1)}</td><td>${esc(x.exitReason)}</td></tr>`,
    )
    .join('');
  const more =
    sb.trades.length > shown.length
      ? `<p class="muted">First ${shown.length} of ${sb.trades.length} trades; <code>--export-trades FILE.csv</code> writes them all.</p>`
      : '';
  const stats = `<p class="muted">${t.closed} closed · profit factor ${esc(profitFactorText(t.profitFactor))} · expectancy ${t.expectancy === null ? 'n/a' : `${t.expectancy.toFixed(2)} (${((t.expectancyFraction ?? 0) * 100).toFixed(2)} %)`} per trade · average ${t.averageBars === null ? 'n/a' : t.averageBars.toFixed(1)} bars held</p>`;
  return `${stats}<div class="scroll"><table id="table-trades"><thead>${head}</thead><tbody>${body}</tbody></table></div>${more}`;
}

function num(v: number): string {
  return Number.isFinite(v) ? v.toPrecision(6) : String(v);
}

/** The run's equity and the counterfactual's on the run's times (the last counterfactual value carried). */
function llmRows(input: ReportInput): (number | null)[][] | null {
  if (input.roi === undefined) return null;
  const at = new Map(input.roi.counterfactual.map((p) => [p.time, p.equity]));
  let last: number | null = null;
  return input.equity.map((p) => {
    last = at.get(p.time) ?? last;
    return [p.time, round(p.equity), last === null ? null : round(last)];
  });
}

/** Renders the report and writes it to `path`. */
export function writeHtmlReport(path: string, input: ReportInput): void {
  writeFileSync(path, renderHtmlReport(input));
}

function round(v: number): number {
  return Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : v;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The mode panel's routing table: leaves reached, planets consulted and timed out, messages by type. */
function routingHtml(r: RouteSummary | undefined): string {
  if (r === undefined)
    return '<table id="table-routing"><tr><td class="muted">no cycle records</td></tr></table>';
  const rows: string[] = [
    `<tr><th>Reasoning cycles</th><td class="n">${r.reasoningCycles}</td><td>${r.routedCycles} routed by the tree</td></tr>`,
  ];
  for (const [leaf, n] of Object.entries(r.leaves).sort((a, b) => b[1] - a[1]))
    rows.push(
      `<tr><th>leaf ${esc(leaf)}</th><td class="n">${n}</td><td>reasoning cycles routed there</td></tr>`,
    );
  for (const [planet, p] of Object.entries(r.planets).sort((a, b) => a[0].localeCompare(b[0])))
    rows.push(
      `<tr><th>planet ${esc(planet)}</th><td class="n">${p.consulted}</td><td>consulted${p.timedOut > 0 ? `, ${p.timedOut} timed out` : ''}</td></tr>`,
    );
  for (const [type, n] of Object.entries(r.messages).sort((a, b) => a[0].localeCompare(b[0])))
    rows.push(`<tr><th>bus ${esc(type)}</th><td class="n">${n}</td><td>messages</td></tr>`);
  return `<table id="table-routing">${rows.join('')}</table>`;
}
