import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fill, Order } from '@orrery/broker';
import { PaperBroker } from '@orrery/broker';
import { BUNDLED_DATASETS, loadCsvFile } from '@orrery/feeds';
import { tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drawdowns } from '../src/metrics/performance.ts';
import { routeSummary } from '../src/metrics/routing.ts';
import { computeScoreboard } from '../src/metrics/scoreboard.ts';
import { modeMixOverTime } from '../src/metrics/usage.ts';
import { REPORT_CHARTS, writeHtmlReport } from '../src/report/html-report.ts';
import { haveChromium, launchChromium, probePanels, probeReport } from './support/chromium.ts';

describe.runIf(haveChromium)('HTML report in headless Chromium', () => {
  const dir = tempDir('orrery-report-');
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    if (!process.env.KEEP_REPORT) dir.remove();
    else console.log(dir.path);
  });

  it('renders every chart and table with its data, offline, from one self-contained file', async () => {
    // Real SPY closes of 2019–2020; the broker buys on each month's first bar and sells on its tenth.
    const bars = loadCsvFile(BUNDLED_DATASETS.spy.path, BUNDLED_DATASETS.spy.load).bars.filter(
      (b) => b.time >= Date.UTC(2019, 0, 1),
    );
    const broker = new PaperBroker({
      initialCash: 10_000,
      feeBps: 10,
      slippageBps: 5,
      slippageRangeFraction: 0,
      allowShort: false,
      maxLeverage: 1,
      lotSize: 1,
    });
    const fills: Fill[] = [];
    const orders: Order[] = [];
    const equity = bars.map((b, i) => {
      fills.push(...broker.onBar('SPY', b));
      const day = new Date(b.time).getUTCDate();
      if (day <= 3 && broker.qty('SPY') === 0)
        broker.place({
          id: `b${i}`,
          symbol: 'SPY',
          side: 'buy',
          type: 'market',
          qty: 20,
          placedAt: b.time,
          reason: 'r',
        });
      if (day >= 10 && broker.qty('SPY') > 0)
        broker.place({
          id: `s${i}`,
          symbol: 'SPY',
          side: 'sell',
          type: 'market',
          qty: broker.qty('SPY'),
          placedAt: b.time,
          reason: 'r',
        });
      orders.push(...broker.drainChangedOrders());
      return { time: b.time, equity: broker.equity() };
    });
    const modes = ['MONITOR_ONLY', 'MONITOR_ONLY', 'MONITOR_ONLY', 'LIGHT_REASONING', 'FULL_AGENT'];
    const cycles = bars.map((b, i) => ({
      symbol: 'SPY',
      time: b.time,
      mode: modes[i % 5]!,
      calls: i % 5 === 0 ? 0 : 1,
      tokensIn: 0,
      tokensOut: 0,
      costUsd: i % 5 === 0 ? 0 : 0.002,
    }));
    const scoreboard = computeScoreboard({
      initialCash: 10_000,
      curve: equity,
      fills,
      orders,
      cycles,
      series: [{ symbol: 'SPY', bars }],
      llmReachable: true,
      cacheHits: 3,
    });
    const file = join(dir.path, 'report.html');
    writeHtmlReport(file, {
      title: 'Orrery paper run <test>',
      runId: 'r1',
      symbol: 'SPY',
      dataSource: 'bundled SPY',
      generatedAt: Date.UTC(2024, 0, 1),
      scoreboard,
      equity,
      drawdown: drawdowns(equity.map((e) => e.equity)),
      prices: bars.map((b) => ({ time: b.time, close: b.close })),
      fills,
      modeMix: modeMixOverTime(cycles),
      routing: routeSummary(
        cycles.map((c, i) => ({
          ...c,
          ...(c.mode === 'MONITOR_ONLY' ? {} : { route: { leaves: ['technical'], planets: ['technical'] } }),
          planets: [{ planet: 'technical', status: i % 5 === 3 && i % 2 === 0 ? 'timeout' : 'ok' }],
          messages: [
            { type: 'moon.reading', count: 1 },
            ...(c.mode === 'MONITOR_ONLY' ? [] : [{ type: 'sun.directive', count: 1 }]),
          ],
        })),
      ),
      notes: ['no reachable LLM: ran on planet consensus'],
    });
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).toContain('Orrery paper run &#60;test&#62;');

    const { charts, requests, errors } = await probeReport(browser.context, file);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    expect(charts.map((c) => c.id)).toEqual([...REPORT_CHARTS]);
    expect(charts.every((c) => c.canvas)).toBe(true);
    const by = Object.fromEntries(charts.map((c) => [c.id, c.points]));
    expect(by.equity).toEqual({ strategy: bars.length, 'buy & hold': bars.length });
    expect(by.drawdown).toEqual({ drawdown: bars.length, 'buy & hold': bars.length });
    const buys = fills.filter((f) => f.side === 'buy').length;
    expect(buys).toBeGreaterThan(10);
    expect(by.price).toEqual({ close: bars.length, buy: buys, sell: fills.length - buys });
    expect(by.modes!.MONITOR_ONLY).toBeGreaterThan(10);
    expect(by.spend).toEqual({ 'cost (USD)': bars.length, calls: bars.length });

    // The tables: one row per month-year, per round trip (and the open one), per symbol.
    const panels = await probePanels(browser.context, file);
    const years = new Set(bars.map((b) => new Date(b.time).getUTCFullYear()));
    expect(panels.tables['table-monthly']).toBe(years.size);
    expect(panels.tables['table-trades']).toBe(scoreboard.trades.length);
    expect(scoreboard.trades.filter((t) => t.status === 'closed')).toHaveLength(scoreboard.tradeStats.closed);
    expect(scoreboard.tradeStats.closed).toBeGreaterThan(10);
    expect(panels.tables['table-symbols']).toBe(1);
    expect(panels.cells['table-symbols']![0]![0]).toBe('SPY');
    // Each trade's exit reason comes from its closing order: here the test's own market orders ("r").
    expect(new Set(panels.cells['table-trades']!.map((r) => r.at(-1)))).toEqual(
      new Set(scoreboard.trades.map((t) => t.exitReason)),
    );
    const summary = Object.fromEntries(panels.cells['table-summary']!.map(([k, v]) => [k, v]));
    expect(summary['Calls avoided']).toMatch(
      /^\d+ \(\d+ monitor-only cycles, 0 with a planet that had nothing to ask, 3 cache hits\)$/,
    );
    // The mode panel's routing table: reasoning cycles, the leaf reached, the planet and its timeouts, the bus.
    const reasoning = cycles.filter((c) => c.mode !== 'MONITOR_ONLY').length;
    const timeouts = cycles.filter((c, i) => c.mode === 'LIGHT_REASONING' && i % 2 === 0).length;
    const routing = Object.fromEntries(
      panels.cells['table-routing']!.map(([k, n, what]) => [k, `${n} ${what}`]),
    );
    expect(routing).toEqual({
      'Reasoning cycles': `${reasoning} ${reasoning} routed by the tree`,
      'leaf technical': `${reasoning} reasoning cycles routed there`,
      'planet technical': `${reasoning} consulted, ${timeouts} timed out`,
      'bus moon.reading': `${bars.length} messages`,
      'bus sun.directive': `${reasoning} messages`,
    });
    expect(panels.axis).toEqual({ before: 'value', log: 'log', after: 'value' });
  }, 180_000);
});
