import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@orrery/testkit';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCsvFile, parseCsvBars, parseJsonBars } from '../src/csv-loader.ts';
import { detectDelimiter } from '../src/csv-records.ts';
import { FeedError, FeedErrorCode } from '../src/errors.ts';
import { formatFeedReport } from '../src/feed-report.ts';
import { loadDataSources, symbolOfFile } from '../src/resolve-source.ts';
import { compileTimeFormat, TIME_FORMAT_CANDIDATES } from '../src/time-format.ts';

const dirs: { remove(): void }[] = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});
function workDir(): string {
  const d = tempDir('orrery-data-in-');
  dirs.push(d);
  return d.path;
}

const DAY = 86_400_000;
const mdy = (t: number) => {
  const d = new Date(t);
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
};
const dmy = (t: number) => {
  const d = new Date(t);
  return `${d.getUTCDate()}/${d.getUTCMonth() + 1}/${d.getUTCFullYear()}`;
};
/** A calm random walk: n daily closes from 100, moves of about 1 %. */
function walk(n: number, seed = 1): number[] {
  let x = seed;
  let p = 100;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 16807) % 2147483647;
    p *= 1 + ((x / 2147483647) * 2 - 1) * 0.01;
    out.push(Math.round(p * 1e6) / 1e6);
  }
  return out;
}
function rows(closes: readonly number[], start: number, fmt: (t: number) => string, sep = ','): string[] {
  return closes.map((c, i) => [fmt(start + i * DAY), c, c * 1.01, c * 0.99, c, 1000].join(sep));
}
function catchErr(fn: () => unknown): FeedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FeedError) return err;
    throw err;
  }
  throw new Error('expected a FeedError');
}

describe('time formats', () => {
  it('detects M/D/YYYY (spreadsheet exports) when it is the only reading, and says so', () => {
    const text = ['Date,Open,High,Low,Close,Volume', ...rows(walk(40), Date.UTC(2021, 0, 1), mdy)].join('\n');
    const { bars, report } = parseCsvBars(text, 'mdy.csv');
    expect(bars).toHaveLength(40);
    expect(bars[20]!.time).toBe(Date.UTC(2021, 0, 21));
    expect(report.timeFormat).toEqual({ format: '%m/%d/%Y', detected: true });
    expect(formatFeedReport(report)).toContain('time format %m/%d/%Y (detected)');
  });

  it('refuses an ambiguous column, listing the candidates, and reads it once told which', () => {
    // Only days 1..10 of each month: 1/2/2021 is January 2nd or February 1st.
    const dates = [0, 1, 2, 3, 4, 5].flatMap((m) =>
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((d) => Date.UTC(2021, m, d)),
    );
    const lines = dates.map((t, i) => `${dmy(t)},${100 + i}`);
    const text = ['Date,Close', ...lines].join('\n');
    const err = catchErr(() => parseCsvBars(text, 'amb.csv'));
    expect(err.code).toBe(FeedErrorCode.TIME_FORMAT);
    expect(err.message).toContain("'%m/%d/%Y' or '%d/%m/%Y'");
    expect(err.message).toContain('--time-format');
    const told = parseCsvBars(text, 'amb.csv', { timeFormat: '%d/%m/%Y' });
    expect(told.bars.map((b) => b.time)).toEqual(dates);
    expect(told.report.timeFormat).toEqual({ format: '%d/%m/%Y', detected: false });
  });

  it('a malformed format is a typed error naming the setting', () => {
    expect(catchErr(() => compileTimeFormat('%Y-%q', 'run.data[0].columns.timeFormat')).message).toMatch(
      /^run\.data\[0\]\.columns\.timeFormat: .*unknown directive %q/,
    );
    expect(catchErr(() => compileTimeFormat('%H:%M')).code).toBe(FeedErrorCode.TIME_FORMAT);
  });

  it('every candidate format reads back the time it wrote (property)', () => {
    const write = (f: string, t: number) => {
      const d = new Date(t);
      const two = (n: number) => String(n).padStart(2, '0');
      const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
      const h = d.getUTCHours();
      return f.replace(
        /%([YymdHIpMSb])/g,
        (_, c: string) =>
          ({
            Y: String(d.getUTCFullYear()),
            y: two(d.getUTCFullYear() % 100),
            m: f.includes('%Y%m') ? two(d.getUTCMonth() + 1) : String(d.getUTCMonth() + 1),
            d: f.includes('%m%d') ? two(d.getUTCDate()) : String(d.getUTCDate()),
            H: two(h),
            I: String(h % 12 === 0 ? 12 : h % 12),
            p: h < 12 ? 'AM' : 'PM',
            M: two(d.getUTCMinutes()),
            S: two(d.getUTCSeconds()),
            b: mon[d.getUTCMonth()]!,
          })[c]!,
      );
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...TIME_FORMAT_CANDIDATES),
        fc.integer({ min: Date.UTC(1970, 0, 1) / 1000, max: Date.UTC(2068, 11, 31) / 1000 }),
        (f, s) => {
          let t = s * 1000;
          if (!f.includes('%H') && !f.includes('%I')) t -= t % DAY;
          else if (!f.includes('%S')) t -= t % 60_000;
          expect(compileTimeFormat(f)(write(f, t))).toBe(t);
        },
      ),
    );
  });
});

describe('delimiters, decimal commas, JSON', () => {
  it('reads semicolon files with decimal commas, and tab-separated files', () => {
    const semi = [
      'Date;Open;High;Low;Close;Volume',
      '2021-01-04;10,5;11,25;10;11;100',
      '2021-01-05;11;12;10,75;11,5;90',
    ];
    expect(detectDelimiter(semi.join('\n'))).toBe(';');
    const a = parseCsvBars(semi.join('\n'), 'semi.csv');
    expect(a.bars[0]).toMatchObject({ open: 10.5, high: 11.25, close: 11 });
    expect(formatFeedReport(a.report)).toContain("delimiter ';'");
    const tab = semi.map((l) => l.replaceAll(';', '\t').replaceAll(',', '.')).join('\n');
    expect(detectDelimiter(tab)).toBe('\t');
    expect(parseCsvBars(tab, 'tab.tsv').bars[1]).toMatchObject({ low: 10.75, close: 11.5 });
  });

  it("loads freqtrade's JSON OHLCV and names the pair from the file name", () => {
    const dir = workDir();
    const file = join(dir, 'BTC_USDT-1d.json');
    const t0 = Date.UTC(2021, 0, 1);
    const data = walk(30).map((c, i) => [t0 + i * DAY, c, c * 1.01, c * 0.99, c, 12.5]);
    writeFileSync(file, JSON.stringify(data));
    const [s] = loadDataSources({ source: file });
    expect(s!.symbol).toBe('BTC/USDT');
    expect(s!.bars).toHaveLength(30);
    expect(s!.bars[3]).toEqual({
      time: t0 + 3 * DAY,
      open: data[3]![1],
      high: data[3]![2],
      low: data[3]![3],
      close: data[3]![4],
      volume: 12.5,
    });
    expect(symbolOfFile('/x/ETH_USDT_USDT-1h.json')).toBe('ETH/USDT');
  });

  it('a JSON or binary file that is not bars gets a short error, never the file', () => {
    const big = JSON.stringify({ pairs: Array.from({ length: 2000 }, (_, i) => `PAIR${i}/USDT`) });
    expect(big.length).toBeGreaterThan(20_000);
    const e1 = catchErr(() => parseJsonBars(big, 'conf.json'));
    expect(e1.code).toBe(FeedErrorCode.FORMAT);
    expect(e1.message.length).toBeLessThan(200);
    const wideHeader = `${Array.from({ length: 3000 }, (_, i) => `col${i}`).join(',')}\n1,2\n`;
    const e2 = catchErr(() => parseCsvBars(wideHeader, 'wide.csv'));
    expect(e2.code).toBe(FeedErrorCode.COLUMNS);
    expect(e2.message.length).toBeLessThan(400);
  });

  it('--data with an unknown name lists the bundled names and the near one', () => {
    const e = catchErr(() => loadDataSources({ source: 'spyy', key: '--data' }));
    expect(e.code).toBe(FeedErrorCode.UNKNOWN);
    expect(e.message).toBe(
      "--data: 'spyy' is not a bundled data set (spy, btc, btc-hourly) nor a file; did you mean spy?",
    );
  });
});

describe('wide multi-asset files', () => {
  // One unnamed date column, then BTC:open … LTC:volume; ETH is listed on day 20, LTC on day 45.
  function wideFile(dir: string): { file: string; n: number } {
    const n = 120;
    const coins = [
      { name: 'BTC', from: 0, closes: walk(n, 3) },
      { name: 'ETH', from: 20, closes: walk(n, 5) },
      { name: 'LTC', from: 45, closes: walk(n, 7) },
    ];
    const header = [
      '',
      ...coins.flatMap((c) => ['open', 'high', 'low', 'close', 'volume'].map((f) => `${c.name}:${f}`)),
    ];
    const lines = [header.join(',')];
    for (let i = 0; i < n; i++) {
      const cells = [new Date(Date.UTC(2021, 0, 1) + i * DAY).toISOString().slice(0, 10)];
      for (const c of coins) {
        const p = c.closes[i]!;
        cells.push(...(i < c.from ? ['', '', '', '', ''] : [p, p * 1.01, p * 0.99, p, 500].map(String)));
      }
      lines.push(cells.join(','));
    }
    const file = join(dir, 'coins.csv');
    writeFileSync(file, lines.join('\n'));
    return { file, n };
  }

  it('reads one series per symbol; rows before a listing are skipped, not bad', () => {
    const dir = workDir();
    const { file, n } = wideFile(dir);
    const series = loadDataSources({ source: file, symbols: ['BTC', 'ETH', 'LTC'] });
    expect(series.map((s) => [s.symbol, s.bars.length, s.report.droppedTotal])).toEqual([
      ['BTC', n, 0],
      ['ETH', n - 20, 0],
      ['LTC', n - 45, 0],
    ]);
    expect(series[2]!.report.beforeListing).toBe(45);
    expect(formatFeedReport(series[2]!.report)).toContain(
      "skipped 45 row(s) before the symbol's first price",
    );
    const err = catchErr(() => loadDataSources({ source: file, symbols: ['DOGE'] }));
    expect(err.code).toBe(FeedErrorCode.COLUMNS);
    expect(err.message).toContain("no close column for DOGE (tried 'DOGE:close'");
  });
});

describe('bad rows, gaps and outliers', () => {
  it('the bad-row limit is a setting', () => {
    const lines = walk(10).map((c, i) =>
      i < 4 ? `garbage,${c}` : `2021-01-${String(i + 1).padStart(2, '0')},${c}`,
    );
    const text = ['date,close', ...lines].join('\n');
    expect(catchErr(() => parseCsvBars(text, 'b.csv')).code).toBe(FeedErrorCode.BAD_ROWS);
    expect(parseCsvBars(text, 'b.csv', { maxDroppedFraction: 0.5 }).bars).toHaveLength(6);
  });

  it('a 12-day hole is reported in the feed report', () => {
    const closes = walk(60);
    const times = closes.map((_, i) => Date.UTC(2021, 0, 1) + (i < 30 ? i : i + 11) * DAY);
    const text = [
      'date,close',
      ...closes.map((c, i) => `${new Date(times[i]!).toISOString().slice(0, 10)},${c}`),
    ].join('\n');
    const { report } = parseCsvBars(text, 'g.csv');
    expect(report.gaps).toMatchObject({ count: 1, typicalMs: DAY, longestMs: 12 * DAY });
    expect(formatFeedReport(report)).toContain(
      '1 gap(s) longer than usual (typical bar 1 d, longest 12 d from 2021-01-30 to 2021-02-11)',
    );
  });

  it('1e308 prices and a 1000× spike are flagged and dropped by default, kept when asked, never silently', () => {
    const closes = walk(80);
    const lines = closes.map((c, i) => {
      const p = i === 30 ? 1e308 : i === 50 ? c * 1000 : c;
      return `${new Date(Date.UTC(2021, 0, 1) + i * DAY).toISOString().slice(0, 10)},${p},${p},${p},${p},10`;
    });
    const text = ['date,open,high,low,close,volume', ...lines].join('\n');
    const dropped = parseCsvBars(text, 'o.csv');
    expect(dropped.bars).toHaveLength(78);
    expect(dropped.report.outliers).toMatchObject({ count: 2, action: 'drop' });
    expect(dropped.report.dropped.outlier?.count).toBe(2);
    expect(formatFeedReport(dropped.report)).toContain('2 outlier(s) dropped');
    const kept = parseCsvBars(text, 'o.csv', { outliers: 'keep' });
    expect(kept.bars).toHaveLength(80);
    expect(formatFeedReport(kept.report)).toContain('2 outlier(s) KEPT');
  });

  it('a spike injected anywhere into a calm series is the one bar dropped (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 8, max: 70 }),
        fc.constantFrom(50, 1000, 1 / 50, 1e6),
        (seed, at, factor) => {
          const closes = walk(80, seed);
          const text = [
            'date,close',
            ...closes.map(
              (c, i) =>
                `${new Date(Date.UTC(2021, 0, 1) + i * DAY).toISOString().slice(0, 10)},${i === at ? c * factor : c}`,
            ),
          ].join('\n');
          const { bars, report } = parseCsvBars(text, 's.csv');
          expect(report.dropped.outlier?.count).toBe(1);
          expect(bars.map((b) => b.close)).toEqual(closes.filter((_, i) => i !== at));
        },
      ),
    );
  });

  it('a level shift that persists (a split) is kept and reported as a jump', () => {
    const closes = walk(60).map((c, i) => (i >= 30 ? c / 4 : c));
    const text = [
      'date,close',
      ...closes.map((c, i) => `${new Date(Date.UTC(2021, 0, 1) + i * DAY).toISOString().slice(0, 10)},${c}`),
    ].join('\n');
    const { bars, report } = parseCsvBars(text, 'split.csv');
    expect(bars).toHaveLength(60);
    expect(report.jumps?.count).toBe(1);
    expect(formatFeedReport(report)).toContain('1 level jump(s) kept');
  });

  it('loadCsvFile says why a path cannot be read, in a few words', () => {
    const e = catchErr(() => loadCsvFile('/nonexistent/x.csv'));
    expect(e.message).toBe('/nonexistent/x.csv: cannot read the file (no such file)');
  });
});
