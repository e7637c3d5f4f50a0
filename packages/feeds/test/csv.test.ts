import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Bar } from '../src/bar.ts';
import { checkBar } from '../src/check-bar.ts';
import { parseColumnMapping, parseCsvBars } from '../src/csv-loader.ts';
import { FeedError, FeedErrorCode } from '../src/errors.ts';
import { parseTime } from '../src/parse-time.ts';

const csv = (...lines: string[]) => lines.join('\n');

describe('parseTime', () => {
  it('reads the formats market files use, as UTC', () => {
    expect(parseTime('2020-01-02')).toBe(Date.UTC(2020, 0, 2));
    expect(parseTime('2020/01/02')).toBe(Date.UTC(2020, 0, 2));
    expect(parseTime('2019-10-17 12-AM')).toBe(Date.UTC(2019, 9, 17, 0));
    expect(parseTime('2019-10-17 12-PM')).toBe(Date.UTC(2019, 9, 17, 12));
    expect(parseTime('2019-10-17 01-PM')).toBe(Date.UTC(2019, 9, 17, 13));
    expect(parseTime('2020-01-02T03:04:05Z')).toBe(Date.UTC(2020, 0, 2, 3, 4, 5));
    expect(parseTime('2020-01-02 03:04')).toBe(Date.UTC(2020, 0, 2, 3, 4));
    expect(parseTime('2020-01-02T03:04:05.250+02:00')).toBe(Date.UTC(2020, 0, 2, 1, 4, 5, 250));
    expect(parseTime('1700000000')).toBe(1_700_000_000_000);
    expect(parseTime('1700000000000')).toBe(1_700_000_000_000);
  });

  it('refuses what is not a time or a date that does not exist', () => {
    for (const s of [
      '',
      'yesterday',
      '2021-02-30',
      '2020-13-01',
      '2020-01-01 25:00',
      '2020-01-01 13-PM',
      '12345',
      '01/02/2020',
    ])
      expect(parseTime(s), s).toBeUndefined();
  });
});

describe('generic CSV', () => {
  it('detects the usual header names and maps others by --columns', () => {
    const text = csv(
      'Date,Open,High,Low,Close,Adj Close,Vol',
      '2020-01-01,10,12,9,11,11,100',
      '2020-01-02,11,13,10,12,12,200',
    );
    const auto = parseCsvBars(text, 't.csv');
    expect(auto.columns).toEqual({
      time: 'Date',
      open: 'Open',
      high: 'High',
      low: 'Low',
      close: 'Close',
      volume: 'Vol',
    });
    expect(auto.bars[1]).toEqual({
      time: Date.UTC(2020, 0, 2),
      open: 11,
      high: 13,
      low: 10,
      close: 12,
      volume: 200,
    });
    const mapped = parseCsvBars(text, 't.csv', { columns: parseColumnMapping('close=Adj Close,volume=Vol') });
    expect(mapped.columns.close).toBe('Adj Close');
  });

  it('copies close into missing open/high/low and gives volume 0 when there is no volume column', () => {
    const { bars, columns } = parseCsvBars(csv('when,price', '2020-01-01,5', '2020-01-02,6'), 'p.csv', {
      columns: { time: 'when' },
    });
    expect(columns).toEqual({
      time: 'when',
      open: null,
      high: null,
      low: null,
      close: 'price',
      volume: null,
    });
    expect(bars[1]).toEqual({ time: Date.UTC(2020, 0, 2), open: 6, high: 6, low: 6, close: 6, volume: 0 });
  });

  it('rejects every kind of bad row, counts it by reason and keeps the rest', () => {
    const rows = [
      'date,open,high,low,close,volume',
      '2020-01-01,10,12,9,11,100', // line 2 ok
      '2020-01-02,abc,12,9,11,100', // not-a-number
      '2020-01-03,10,12,9,,100', // not-a-number (empty)
      '2020-01-04,-1,12,9,11,100', // non-positive-price
      '2020-01-05,10,8,9,8.5,100', // high-below-low
      '2020-01-06,13,12,9,11,100', // open-outside-range
      '2020-01-07,10,12,9,8,100', // close-outside-range
      '2020-01-08,10,12,9,11,-5', // negative-volume
      'not a date,10,12,9,11,100', // bad-time
      '2020-01-09,10,12,9,11,101', // ok
      '2020-01-09,10,12,9,11.5,102', // duplicate-time
      '2020-01-05,10,12,9,11,103', // out-of-order
      '2020-01-10,10,12,9,11,104', // ok
      '2020-01-11,10,12,9,11,104', // duplicate-bar (same OHLCV as 01-10 under a later time)
      '2020-01-12,10,12,9,11,105', // ok
    ];
    const { bars, report } = parseCsvBars(rows.join('\n'), 'bad.csv', { maxDroppedFraction: 1 });
    expect(bars.map((b) => new Date(b.time).toISOString().slice(0, 10))).toEqual([
      '2020-01-01',
      '2020-01-09',
      '2020-01-10',
      '2020-01-12',
    ]);
    const counts = Object.fromEntries(Object.entries(report.dropped).map(([k, v]) => [k, v.count]));
    expect(counts).toEqual({
      'not-a-number': 2,
      'non-positive-price': 1,
      'high-below-low': 1,
      'open-outside-range': 1,
      'close-outside-range': 1,
      'negative-volume': 1,
      'bad-time': 1,
      'duplicate-time': 1,
      'out-of-order': 1,
      'duplicate-bar': 1,
    });
    expect(report.rowsRead).toBe(rows.length - 1);
    expect(report.kept + report.droppedTotal).toBe(report.rowsRead);
    expect(report.dropped['high-below-low']!.examples[0]).toEqual({
      line: 6,
      time: '2020-01-05',
      detail: 'high 8 < low 9',
    });
    expect(report.dropped['out-of-order']!.examples[0]!.detail).toBe(
      '2020-01-05 00:00 comes after 2020-01-09 00:00 (line 11)',
    );
  });

  it('refuses a file where too many rows are bad, naming why', () => {
    const text = csv('date,close', '01/02/2020,1', '01/03/2020,2', '2020-01-04,3');
    const err = catchErr(() => parseCsvBars(text, 'us.csv'));
    expect(err).toBeInstanceOf(FeedError);
    expect(err.code).toBe(FeedErrorCode.BAD_ROWS);
    expect(err.message).toContain('us.csv: 2 of 3 rows are bad');
    expect(err.message).toContain("dropped 2 bad-time — e.g. line 2 01/02/2020: '01/02/2020' is not a time");
  });

  it('names the missing columns and the ones it found', () => {
    const err = catchErr(() => parseCsvBars(csv('a,b', '1,2'), 'x.csv'));
    expect(err.code).toBe(FeedErrorCode.COLUMNS);
    expect(err.message).toContain('no header row with a time and a close column');
    expect(err.message).toContain('first line: a, b');
    const mapped = catchErr(() =>
      parseCsvBars(csv('date,close', '2020-01-01,2'), 'x.csv', { columns: { close: 'Last' } }),
    );
    expect(mapped.message).toContain('close=Last');
    expect(catchErr(() => parseColumnMapping('when:Date')).message).toContain(
      "'when:Date' is not field=Column",
    );
    expect(catchErr(() => parseCsvBars(csv('date,close'), 'e.csv')).code).toBe(FeedErrorCode.EMPTY);
  });
});

describe('CSV rows (property-based)', () => {
  const barArb = fc
    .record({
      low: fc.double({ min: 0.01, max: 1e6, noNaN: true }),
      span: fc.double({ min: 0, max: 1e4, noNaN: true }),
      o: fc.double({ min: 0, max: 1, noNaN: true }),
      c: fc.double({ min: 0, max: 1, noNaN: true }),
      volume: fc.double({ min: 0.001, max: 1e9, noNaN: true }),
    })
    .map(({ low, span, o, c, volume }) => {
      const high = low + span;
      const clamp = (v: number) => Math.min(high, Math.max(low, v));
      return { open: clamp(low + o * span), high, low, close: clamp(low + c * span), volume };
    });
  const seriesArb = fc
    .array(fc.tuple(fc.integer({ min: 1, max: 10 }), barArb), { minLength: 1, maxLength: 60 })
    .map((xs) => {
      let t = Date.UTC(2020, 0, 1);
      // Each bar's volume is distinct: two rows with the same OHLCV are a relabelled copy (`duplicate-bar`),
      // which the loader rightly drops, so they are no valid series (random seeds found 0.01×5 rows).
      return xs.map(([gap, b], k) => {
        t += gap * 3_600_000;
        return { time: t, ...b, volume: b.volume + k } as Bar;
      });
    });
  const toCsv = (bars: readonly Bar[]) =>
    [
      'timestamp,open,high,low,close,volume',
      ...bars.map(
        (b) => `${new Date(b.time).toISOString()},${b.open},${b.high},${b.low},${b.close},${b.volume}`,
      ),
    ].join('\r\n');

  it('valid rows round-trip exactly, in either file order', () => {
    fc.assert(
      fc.property(seriesArb, fc.boolean(), (bars, newestFirst) => {
        const text = toCsv(newestFirst ? [...bars].reverse() : bars);
        // Independent random prices jump wildly; outlier screening has its own property (feeds-data-in).
        const { bars: out, report } = parseCsvBars(text, 'p.csv', { outliers: 'keep' });
        expect(report.droppedTotal).toBe(0);
        expect(out).toEqual(bars);
      }),
    );
  });

  it('a corrupted row is dropped with its reason, never used, and everything else is kept', () => {
    const corruptions = [
      ['not-a-number', (b: Bar) => ({ ...b, close: Number.NaN })],
      ['non-positive-price', (b: Bar) => ({ ...b, low: -b.low })],
      ['high-below-low', (b: Bar) => ({ ...b, high: b.low / 2, open: b.low / 2, close: b.low / 2 })],
      ['open-outside-range', (b: Bar) => ({ ...b, open: b.high * 2 })],
      ['close-outside-range', (b: Bar) => ({ ...b, close: b.low / 2 })],
    ] as const;
    fc.assert(
      fc.property(
        seriesArb.filter((bs) => bs.length >= 5),
        fc.nat(),
        fc.constantFrom(...corruptions),
        (bars, pick, [reason, corrupt]) => {
          const i = 1 + (pick % (bars.length - 2)); // not the first or last row: they decide the file's order
          const bad = bars.map((b, k) => (k === i ? corrupt(b) : b));
          const { bars: out, report } = parseCsvBars(toCsv(bad), 'p.csv', {
            maxDroppedFraction: 1,
            outliers: 'keep',
          });
          expect(report.dropped[reason]?.count).toBe(1);
          expect(report.droppedTotal).toBe(1);
          expect(out).toEqual(bars.filter((_, k) => k !== i));
          expect(out.every((b) => checkBar(b) === undefined)).toBe(true);
        },
      ),
    );
  });
});

function catchErr(fn: () => unknown): FeedError {
  try {
    fn();
  } catch (err) {
    return err as FeedError;
  }
  throw new Error('expected an error');
}
