import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { BUNDLED_DATASETS, loadCsvFile } from '@orrery/feeds';
import { tempDir } from '@orrery/testkit';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { TRADE_COLUMNS } from '../src/report/trades-csv.ts';
import { haveChromium, launchChromium, probePanels, probeReport } from './support/chromium.ts';
import { orrery, writeTestConfig } from './support/paper-cli.ts';

const YEAR_MS = 365.25 * 86_400_000;
const dirs: { remove(): void }[] = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});
function workDir(): string {
  const d = tempDir('orrery-score-');
  dirs.push(d);
  return d.path;
}

const bundled = (name: 'spy' | 'btc', from: number, to = Number.POSITIVE_INFINITY) =>
  loadCsvFile(BUNDLED_DATASETS[name].path, BUNDLED_DATASETS[name].load).bars.filter(
    (b) => b.time >= from && b.time <= to,
  );

/** Sharpe of a value series the textbook way: per-bar returns (the first bar's is 0), sample sd, √(bars per year). */
function sharpeOf(times: readonly number[], values: readonly number[]): number {
  const r = values.map((v, i) => (i === 0 ? 0 : v / values[i - 1]! - 1));
  const mean = r.reduce((a, b) => a + b, 0) / r.length;
  const sd = Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / (r.length - 1));
  const ppy = ((times.length - 1) * YEAR_MS) / (times.at(-1)! - times[0]!);
  return (mean / sd) * Math.sqrt(ppy);
}

function maxDrawdownOf(values: readonly number[]): number {
  let peak = values[0]!;
  let worst = 0;
  for (const v of values) {
    peak = Math.max(peak, v);
    worst = Math.max(worst, 1 - v / peak);
  }
  return worst;
}

interface TradeRow {
  readonly [k: string]: string;
}

describe('orrery paper --json and --export-trades', () => {
  it('prints one JSON object whose figures match independent computations from the data, the ledger and the CSV', async () => {
    const dir = workDir();
    const config = await writeTestConfig(dir, 'memory: false\n');
    const csv = join(dir, 'out', 'trades.csv');
    const report = join(dir, 'report.html');
    const res = orrery(dir, [
      'paper',
      '--config',
      config,
      '--data',
      'spy',
      '--from',
      '2019-01-01',
      '--run-id',
      'score',
      '--json',
      '--export-trades',
      csv,
      '--report',
      report,
    ]);
    expect(res.stderr).not.toMatch(/^error/m);
    expect(res.status).toBe(0);
    // stdout is exactly one JSON object; the notes went to stderr.
    expect(res.stdout.trim().split('\n')).toHaveLength(1);
    const j = JSON.parse(res.stdout);
    expect(res.stderr).toContain('no reachable LLM');
    expect(res.stderr).toContain(`Trades: ${csv}`);

    const bars = bundled('spy', Date.UTC(2019, 0, 1));
    const closes = bars.map((b) => b.close);
    const times = bars.map((b) => b.time);
    expect(j).toMatchObject({ runId: 'score', bars: bars.length, report });
    for (const k of [
      'returnPct',
      'cagrPct',
      'sharpe',
      'sortino',
      'maxDrawdownPct',
      'exposurePct',
      'winRatePct',
    ])
      expect(typeof j[k] === 'number' || j[k] === null, k).toBe(true);

    // Buy-and-hold: return, Sharpe and drawdown from the file's closes.
    expect(j.buyAndHold.kind).toBe('single');
    expect(j.buyAndHold.returnPct).toBeCloseTo((closes.at(-1)! / closes[0]! - 1) * 100, 8);
    expect(j.buyAndHold.sharpe).toBeCloseTo(sharpeOf(times, closes), 8);
    expect(j.buyAndHold.maxDrawdownPct).toBeCloseTo(maxDrawdownOf(closes) * 100, 8);
    expect(j.buyAndHold.maxDrawdownPct).toBeGreaterThan(30); // the March 2020 fall

    const ledger = Ledger.open(join(dir, '.orrery', 'ledger.db'));
    let orders: ReturnType<Ledger['orders']>;
    let fills: ReturnType<Ledger['fills']>;
    let cycles: ReturnType<Ledger['cycles']>;
    try {
      const curve = ledger.equityCurve('score');
      orders = ledger.orders('score');
      fills = ledger.fills('score');
      cycles = ledger.cycles('score');
      const equity = curve.map((p) => p.equity);
      expect(j.returnPct).toBeCloseTo((equity.at(-1)! / 100_000 - 1) * 100, 8);
      expect(j.sharpe).toBeCloseTo(sharpeOf(times, equity), 6);
      expect(j.maxDrawdownPct).toBeCloseTo(maxDrawdownOf([100_000, ...equity]) * 100, 8);
    } finally {
      ledger.close();
    }
    // Exposure and time in market from the positions each cycle was shown (after that bar's fills).
    const close = new Map(bars.map((b) => [b.time, b.close]));
    const shown = cycles.map((c) => {
      const p = c.portfolio as { equity: number; positions: Record<string, { qty: number }> };
      const qty = p.positions.SPY?.qty ?? 0;
      return { gross: Math.abs(qty) * close.get(c.time)!, equity: p.equity, open: qty !== 0 };
    });
    const exposure = shown.reduce((a, s) => a + s.gross / s.equity, 0) / shown.length;
    expect(j.exposurePct).toBeCloseTo(exposure * 100, 8);
    expect(j.timeInMarketPct).toBeCloseTo((100 * shown.filter((s) => s.open).length) / shown.length, 8);
    expect(j.symbols).toHaveLength(1);
    expect(j.symbols[0]).toMatchObject({ symbol: 'SPY', trades: j.trades });
    expect(j.symbols[0].contributionPct).toBeCloseTo(j.returnPct, 8);

    // The trade CSV: its closed rows are the trades; profit factor, win rate and expectancy from it.
    const text = readFileSync(csv, 'utf8');
    expect(text.split('\n')[0]).toBe(TRADE_COLUMNS.join(','));
    const rows = parse(text, { columns: true }) as TradeRow[];
    const closed = rows.filter((r) => r.status === 'closed');
    expect(fills.length).toBeGreaterThan(0);
    expect(closed.length).toBe(j.trades);
    expect(rows.length - closed.length).toBeLessThanOrEqual(1);
    const pnl = closed.map((r) => Number(r.pnl));
    const gain = pnl.filter((p) => p > 0).reduce((a, b) => a + b, 0);
    const loss = -pnl.filter((p) => p < 0).reduce((a, b) => a + b, 0);
    if (loss > 0) expect(j.profitFactor).toBeCloseTo(gain / loss, 8);
    else expect(j.profitFactor).toBeNull();
    if (closed.length > 0) {
      expect(j.winRatePct).toBeCloseTo((100 * pnl.filter((p) => p > 0).length) / pnl.length, 8);
      expect(j.expectancy).toBeCloseTo(pnl.reduce((a, b) => a + b, 0) / pnl.length, 8);
      const mean = closed.reduce((a, r) => a + Number(r.return_pct), 0) / closed.length;
      expect(j.expectancyPct).toBeCloseTo(mean, 8);
    }
    // The trades' P&L (the open one marked at the last close) is the run's P&L; each exit reason names the
    // order that closed it (a stop, or the decision source of the cycle on the bar that placed it).
    const all = rows.reduce((a, r) => a + Number(r.pnl), 0);
    expect(all).toBeCloseTo(j.endEquity - j.startEquity, 6);
    const byOrder = new Map(orders.map((o) => [o.id, o]));
    const cycleAt = new Map(
      cycles.map((c) => [`${c.symbol}@${c.time}`, c.record as { decision: { source: string } }]),
    );
    for (const r of closed) {
      const entry = Date.parse(r.entry_time!);
      const exit = Date.parse(r.exit_time!);
      const closing = fills.filter((f) => f.symbol === r.symbol && f.time === exit).at(-1)!;
      const order = byOrder.get(closing.id)!;
      if (order.type === 'stop') expect(r.exit_source).toBe('stop');
      else expect(r.exit_source).toBe(cycleAt.get(`${r.symbol}@${order.placedAt}`)!.decision.source);
      expect(Number(r.bars)).toBe(times.filter((t) => t > entry && t <= exit).length);
      expect(Number(r.days)).toBeCloseTo((exit - entry) / 86_400_000, 10);
    }

    // Monthly returns compound to the total; the mode mix says who decided; nothing was avoided.
    const compounded = j.monthly.reduce(
      (a: number, m: { returnPct: number }) => a * (1 + m.returnPct / 100),
      1,
    );
    expect((compounded - 1) * 100).toBeCloseTo(j.returnPct, 6);
    expect(j.monthly[0].month).toBe('2019-01');
    expect(j.monthly).toHaveLength(20);
    const mix = j.modeMix as Record<string, number>;
    expect(Object.keys(mix)).toEqual(['MONITOR_ONLY', 'LIGHT_REASONING', 'FULL_AGENT']);
    expect(Object.values(mix).reduce((a, b) => a + b, 0)).toBeCloseTo(100, 8);
    expect(j.llm).toMatchObject({
      reachable: false,
      calls: 0,
      tokensIn: 0,
      tokensOut: 0,
      costUsd: 0,
      callsAvoided: 0,
    });
    expect(j.decidedBy).toContain('deterministic');

    expect(existsSync(report)).toBe(true);
    if (haveChromium) {
      const browser = await launchChromium();
      try {
        const { charts, errors } = await probeReport(browser.context, report);
        expect(errors).toEqual([]);
        const by = Object.fromEntries(charts.map((c) => [c.id, c.points]));
        expect(by.equity).toEqual({ strategy: bars.length, 'buy & hold': bars.length });
        expect(by.spend).toEqual({ 'cost (USD)': bars.length, calls: bars.length });
        const panels = await probePanels(browser.context, report);
        expect(panels.tables['table-trades']).toBe(rows.length);
        expect(panels.tables['table-monthly']).toBe(2);
        expect(panels.axis).toEqual({ before: 'value', log: 'log', after: 'value' });
        const summary = Object.fromEntries(panels.cells['table-summary']!.map(([k, v]) => [k, v]));
        expect(summary['Mode mix']).toContain('the planets decided every cycle deterministically');
        expect(summary['Calls avoided']).toBe('0 (no LLM reachable)');
      } finally {
        await browser.close();
      }
    }
  }, 300_000);

  it('measures a run on several symbols against equal-weight buy-and-hold, with a row per symbol', async () => {
    const dir = workDir();
    const config = await writeTestConfig(
      dir,
      'memory: false\nrun:\n  data:\n    - source: btc\n    - source: spy\n  from: "2019-06-01"\n  to: "2020-06-30"\n',
    );
    const json = orrery(dir, ['paper', '--config', config, '--run-id', 'two', '--json']);
    expect(json.stderr).not.toMatch(/^error/m);
    expect(json.status).toBe(0);
    const j = JSON.parse(json.stdout);
    const from = Date.UTC(2019, 5, 1);
    const to = Date.UTC(2020, 5, 30, 23, 59, 59, 999);
    const btc = bundled('btc', from, to);
    const spy = bundled('spy', from, to);
    const ret = (b: readonly { close: number }[]) => b.at(-1)!.close / b[0]!.close - 1;
    expect(j.buyAndHold.kind).toBe('equal-weight');
    expect(j.buyAndHold.symbols).toEqual(['BTC/USDT', 'SPY']);
    expect(j.buyAndHold.returnPct).toBeCloseTo(((ret(btc) + ret(spy)) / 2) * 100, 8);
    expect(j.symbols.map((s: { symbol: string }) => s.symbol)).toEqual(['BTC/USDT', 'SPY']);
    expect(j.symbols[0].buyAndHoldPct).toBeCloseTo(ret(btc) * 100, 8);
    expect(j.symbols[1].buyAndHoldPct).toBeCloseTo(ret(spy) * 100, 8);
    // The symbols' contributions add up to the run's return; their trades to its trades.
    const sum = j.symbols.reduce((a: number, s: { contributionPct: number }) => a + s.contributionPct, 0);
    expect(sum).toBeCloseTo(j.returnPct, 6);
    expect(j.symbols.reduce((a: number, s: { trades: number }) => a + s.trades, 0)).toBe(j.trades);
    expect(j.bars).toBe(new Set([...btc, ...spy].map((b) => b.time)).size);

    const text = orrery(dir, ['paper', '--config', config, '--run-id', 'two-text']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/Buy & hold\s+-?\d+\.\d\d % \(equal weight of 2\)/);
    expect(text.stdout).toMatch(
      /^symbol\s+contribution\s+exposure\s+in market\s+trades\s+win rate\s+buy & hold$/m,
    );
    expect(text.stdout).toMatch(/^BTC\/USDT\s+/m);
    expect(text.stdout).toMatch(/^SPY\s+/m);
  }, 300_000);
});
