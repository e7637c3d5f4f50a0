import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@orrery/testkit';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FeedError, FeedErrorCode } from '../src/errors.ts';
import { formatNewsReport, loadNewsFile, type NewsItem, parseNews } from '../src/news-file.ts';
import { NewsWindow } from '../src/news-window.ts';

const dir = tempDir('orrery-news-');
afterAll(() => dir.remove());

const DAY = 86_400_000;
const T0 = Date.UTC(2020, 2, 9);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FeedError);
    return (err as FeedError).code;
  }
  return undefined;
}

describe('news file', () => {
  it('reads JSONL with ISO and epoch-ms times, in time order, extra fields ignored', () => {
    const text = [
      '{"time": "2020-03-12T14:00:00Z", "symbol": "SPY", "text": "Stocks plunge", "url": "x"}',
      '',
      `{"time": ${Date.UTC(2020, 2, 10, 9)}, "text": "Fed cuts rates"}`,
      '{"time": "2020-03-11T00:00:00+01:00", "symbol": "", "text": "  Markets wait  "}',
    ].join('\n');
    const { items, report } = parseNews(text, 'n.jsonl');
    expect(items).toEqual([
      { time: Date.UTC(2020, 2, 10, 9), symbol: undefined, text: 'Fed cuts rates' },
      { time: Date.UTC(2020, 2, 10, 23), symbol: undefined, text: 'Markets wait' },
      { time: Date.UTC(2020, 2, 12, 14), symbol: 'SPY', text: 'Stocks plunge' },
    ]);
    expect(report).toMatchObject({ format: 'jsonl', rowsRead: 3, kept: 3, droppedTotal: 0 });
    expect(formatNewsReport(report)).toBe(
      'n.jsonl: kept 3 of 3 news items (2020-03-10 09:00 .. 2020-03-12 14:00)',
    );
  });

  it('drops bad rows, counted by reason with the line and what was wrong', () => {
    const good = (i: number) => `{"time": "2020-03-${String(10 + i).padStart(2, '0')}", "text": "item ${i}"}`;
    const text = [
      ...Array.from({ length: 15 }, (_, i) => good(i)),
      '{"time": "2020-03-10", "text": "item 0"}',
      'not json',
      '{"time": "yesterday", "text": "x"}',
      '{"text": "no time"}',
      '{"time": "2020-03-10", "text": "   "}',
      '{"time": "2020-03-10", "symbol": 5, "text": "x"}',
      '[1, 2]',
    ].join('\n');
    const { items, report } = parseNews(text, 'n.jsonl', { maxDroppedFraction: 0.5 });
    expect(items).toHaveLength(15);
    expect(report.droppedTotal).toBe(7);
    expect(Object.fromEntries(Object.entries(report.dropped).map(([k, v]) => [k, v.count]))).toEqual({
      'duplicate-item': 1,
      'bad-json': 2,
      'bad-time': 2,
      'missing-text': 1,
      'bad-field': 1,
    });
    expect(report.dropped['bad-time']!.examples[0]).toEqual({
      line: 18,
      time: 'yesterday',
      detail: "'yesterday' is not a time",
    });
    expect(report.dropped['bad-field']!.examples[0]!.detail).toContain('symbol must be a string');
    const lines = formatNewsReport(report);
    expect(lines).toContain('dropped 2 bad-json — e.g. line 17 not JSON');
    expect(lines).toContain('dropped 1 missing-text — e.g. line 20 2020-03-10: text is empty');
  });

  it('refuses a file with too many bad rows, naming them', () => {
    const text = '{"time": "2020-03-10", "text": "ok"}\n{"time": "soon", "text": "x"}\n';
    expect(codeOf(() => parseNews(text, 'n.jsonl'))).toBe(FeedErrorCode.BAD_ROWS);
    expect(() => parseNews(text, 'n.jsonl')).toThrow(/1 of 2 news rows are bad[\s\S]*'soon' is not a time/);
  });

  it('reads CSV with a header (any case, quoted commas, symbol column optional)', () => {
    const csv =
      'Time,Symbol,Text\n2020-03-12 14:00,SPY,"Stocks plunge, fear spreads"\n2020-03-11,,Fed meets\n';
    expect(parseNews(csv, 'n.csv').items).toEqual([
      { time: Date.UTC(2020, 2, 11), symbol: undefined, text: 'Fed meets' },
      { time: Date.UTC(2020, 2, 12, 14), symbol: 'SPY', text: 'Stocks plunge, fear spreads' },
    ]);
    const noSymbol = parseNews('time,text\n1583884800000,Fed meets\n', 'n.csv');
    expect(noSymbol.items).toEqual([{ time: Date.UTC(2020, 2, 11), symbol: undefined, text: 'Fed meets' }]);
    expect(noSymbol.report.format).toBe('csv');
    expect(codeOf(() => parseNews('date,headline\n2020-03-11,x\n', 'n.csv'))).toBe(FeedErrorCode.COLUMNS);
  });

  it('loads by extension and says which file cannot be read', () => {
    const file = join(dir.path, 'feed.txt.csv');
    writeFileSync(file, 'time,text\n2020-03-11,Fed meets\n');
    expect(loadNewsFile(file).report).toMatchObject({ source: file, format: 'csv', kept: 1 });
    expect(codeOf(() => loadNewsFile(join(dir.path, 'missing.jsonl')))).toBe(FeedErrorCode.FILE);
  });
});

describe('news window', () => {
  const items: NewsItem[] = [
    { time: T0 - DAY, symbol: undefined, text: 'exactly one day old' },
    { time: T0 - DAY + 1, symbol: 'SPY', text: 'just inside' },
    { time: T0 - 10, symbol: 'BTC/USDT', text: 'other symbol' },
    { time: T0, symbol: 'spy', text: 'at the bar' },
    { time: T0 + 1, symbol: undefined, text: 'after the bar' },
  ];

  it('shows items in (t − lookback, t] of the symbol or of none, newest first, at most maxItems', () => {
    const w = new NewsWindow(items);
    expect(w.select('SPY', T0)).toEqual(['at the bar', 'just inside']);
    expect(w.select('BTC/USDT', T0)).toEqual(['other symbol']);
    // One ms later the window has moved on: 'just inside' is now exactly one day old.
    expect(w.select('SPY', T0 + 1)).toEqual(['after the bar', 'at the bar']);
    expect(new NewsWindow(items, { maxItems: 1 }).select('SPY', T0 + 1)).toEqual(['after the bar']);
    expect(new NewsWindow(items, { lookbackMs: 2 * DAY }).select('QQQ', T0)).toEqual(['exactly one day old']);
    expect(w.select('SPY', T0 - 2 * DAY)).toEqual([]);
  });

  it('equals a plain filter of the items and never shows one stamped after the bar (property)', () => {
    const item = fc.record({
      time: fc.integer({ min: 0, max: 100 }),
      symbol: fc.constantFrom(undefined, 'A', 'B'),
      text: fc.string(),
    });
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 40 }),
        fc.integer({ min: -5, max: 110 }),
        fc.constantFrom('A', 'B'),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 8 }),
        (raw, t, symbol, lookbackMs, maxItems) => {
          const sorted = [...raw].sort((a, b) => a.time - b.time);
          const got = new NewsWindow(sorted, { lookbackMs, maxItems }).select(symbol, t);
          const want = sorted
            .map((x, i) => ({ ...x, i }))
            .filter((x) => x.time <= t && x.time > t - lookbackMs && (x.symbol ?? symbol) === symbol)
            .sort((a, b) => b.time - a.time || b.i - a.i)
            .slice(0, maxItems)
            .map((x) => x.text);
          expect(got).toEqual(want);
        },
      ),
    );
  });
});
