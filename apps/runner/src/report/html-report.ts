import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { RunRoi } from '../accountability/run-roi.ts';
import type { Fill } from '../broker/types.ts';
import type { FeedReport } from '../feeds/feed-report.ts';
import type { Performance } from '../metrics/performance.ts';
import type { UsageSummary } from '../metrics/usage.ts';
import { summaryRows } from './summary-text.ts';

/** Everything the HTML report shows. Times are epoch ms. */
export interface ReportInput {
  readonly title: string;
  readonly runId: string;
  readonly symbol: string;
  /** Where the bars came from, one line. */
  readonly dataSource: string;
  readonly generatedAt: number;
  readonly performance: Performance;
  readonly usage: UsageSummary;
  /** LLM calls the run did not need to make (see the summary for how it is counted). */
  readonly callsAvoided: number;
  /** Equity after each bar. */
  readonly equity: readonly { time: number; equity: number }[];
  /** Buy-and-hold equity on the same times, same starting cash. */
  readonly buyAndHold: readonly number[];
  /** Drawdown (0..1) on the same times. */
  readonly drawdown: readonly number[];
  /** Closes of the traded symbol. */
  readonly prices: readonly { time: number; close: number }[];
  readonly fills: readonly Fill[];
  /** Mode percentages per time window. */
  readonly modeMix: readonly { time: number; pct: Record<string, number> }[];
  readonly feedReport?: FeedReport;
  /** Lines worth saying (fell back to consensus, resumed at…). */
  readonly notes: readonly string[];
  /** The LLM's worth against the no-LLM planet consensus: figures, and a chart of both equity curves. */
  readonly roi?: RunRoi | undefined;
}

/** The ids of the chart containers, also the keys of `window.orreryCharts` in the page. */
export const REPORT_CHARTS = ['equity', 'drawdown', 'price', 'modes'] as const;
/** The id of the chart added when the report has an LLM ROI: the run's equity against the no-LLM consensus's. */
export const LLM_CHART = 'llm';

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
 * fetched, so the file opens offline. Charts: equity vs buy-and-hold, drawdown, price with the fills
 * marked, and the execution-mode mix over time.
 */
export function renderHtmlReport(input: ReportInput): string {
  const data = {
    equity: input.equity.map((p, i) => [p.time, round(p.equity), round(input.buyAndHold[i] ?? Number.NaN)]),
    drawdown: input.equity.map((p, i) => [p.time, round(-100 * (input.drawdown[i] ?? 0))]),
    price: input.prices.map((p) => [p.time, p.close]),
    buys: input.fills.filter((f) => f.side === 'buy').map((f) => [f.time, round(f.price), round(f.qty)]),
    sells: input.fills.filter((f) => f.side === 'sell').map((f) => [f.time, round(f.price), round(f.qty)]),
    modes: input.modeMix.map((m) => [
      m.time,
      round(m.pct.MONITOR_ONLY ?? 0),
      round(m.pct.LIGHT_REASONING ?? 0),
      round(m.pct.FULL_AGENT ?? 0),
    ]),
    llm: llmRows(input),
  };
  const rows = summaryRows(input.performance, input.usage, input.callsAvoided, input.roi?.roi)
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
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(input.title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}.muted{color:#666}
.grid{display:grid;grid-template-columns:minmax(260px,340px) 1fr;gap:16px;align-items:start}
table{border-collapse:collapse;background:#fff}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
th{font-weight:500;color:#555}.chart{height:320px;background:#fff;margin-bottom:16px}
</style></head><body>
<h1>${esc(input.title)}</h1>
<p class="muted">Run <b>${esc(input.runId)}</b> · ${esc(input.symbol)} · ${esc(input.dataSource)} · generated ${esc(new Date(input.generatedAt).toISOString())}</p>
${feed}${notes ? `<ul>${notes}</ul>` : ''}
<div class="grid"><table>${rows}</table><div>
<div id="chart-equity" class="chart"></div>
<div id="chart-drawdown" class="chart"></div>
<div id="chart-price" class="chart"></div>
<div id="chart-modes" class="chart"></div>
${input.roi ? `<div id="chart-${LLM_CHART}" class="chart"></div>` : ''}
</div></div>
<script>${echartsJs()}</script>
<script type="application/json" id="orrery-data">${json}</script>
<script>
(function () {
  var d = JSON.parse(document.getElementById('orrery-data').textContent);
  var time = { type: 'time' };
  var zoom = [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 4 }];
  var base = { animation: false, tooltip: { trigger: 'axis' }, grid: { left: 60, right: 20, top: 40, bottom: 50 }, dataZoom: zoom, xAxis: time };
  function t(text) { return { text: text, left: 10, top: 6, textStyle: { fontSize: 14 } }; }
  function chart(id, opt) { var c = echarts.init(document.getElementById('chart-' + id)); c.setOption(Object.assign({}, base, opt)); return c; }
  window.orreryCharts = {
    equity: chart('equity', { title: t('Equity vs buy-and-hold'), legend: { top: 4, right: 10 }, yAxis: { type: 'value', scale: true },
      dataset: { source: d.equity },
      series: [{ name: 'strategy', type: 'line', showSymbol: false, sampling: 'lttb', encode: { x: 0, y: 1 } },
               { name: 'buy & hold', type: 'line', showSymbol: false, sampling: 'lttb', encode: { x: 0, y: 2 }, lineStyle: { type: 'dashed' } }] }),
    drawdown: chart('drawdown', { title: t('Drawdown (%)'), yAxis: { type: 'value', max: 0 },
      series: [{ name: 'drawdown', type: 'line', showSymbol: false, sampling: 'lttb', areaStyle: { opacity: 0.3 }, color: '#c23531', data: d.drawdown }] }),
    price: chart('price', { title: t('Price and trades'), legend: { top: 4, right: 10 }, yAxis: { type: 'value', scale: true },
      series: [{ name: 'close', type: 'line', showSymbol: false, sampling: 'lttb', color: '#555', data: d.price },
               { name: 'buy', type: 'scatter', symbol: 'triangle', symbolSize: 8, color: '#2e9e44', data: d.buys },
               { name: 'sell', type: 'scatter', symbol: 'triangle', symbolRotate: 180, symbolSize: 8, color: '#d23c3c', data: d.sells }] }),
    modes: chart('modes', { title: t('Execution mode mix over time (%)'), legend: { top: 4, right: 10 }, yAxis: { type: 'value', max: 100 },
      dataset: { source: d.modes },
      series: [{ name: 'MONITOR_ONLY', type: 'line', stack: 'm', areaStyle: {}, showSymbol: false, encode: { x: 0, y: 1 } },
               { name: 'LIGHT_REASONING', type: 'line', stack: 'm', areaStyle: {}, showSymbol: false, encode: { x: 0, y: 2 } },
               { name: 'FULL_AGENT', type: 'line', stack: 'm', areaStyle: {}, showSymbol: false, encode: { x: 0, y: 3 } }] }),
  };
  if (d.llm) window.orreryCharts.llm = chart('llm', { title: t('With the LLM vs the no-LLM planet consensus'), legend: { top: 4, right: 10 }, yAxis: { type: 'value', scale: true },
      dataset: { source: d.llm },
      series: [{ name: 'with LLM', type: 'line', showSymbol: false, sampling: 'lttb', encode: { x: 0, y: 1 } },
               { name: 'no-LLM consensus', type: 'line', showSymbol: false, sampling: 'lttb', encode: { x: 0, y: 2 }, lineStyle: { type: 'dashed' } }] });
  window.addEventListener('resize', function () { for (var k in window.orreryCharts) window.orreryCharts[k].resize(); });
})();
</script></body></html>
`;
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
