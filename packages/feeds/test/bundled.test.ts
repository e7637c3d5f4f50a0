import { describe, expect, it } from 'vitest';
import { BUNDLED_DATASETS } from '../src/bundled.ts';
import { checkBar } from '../src/check-bar.ts';
import { loadCsvFile } from '../src/csv-loader.ts';
import { formatFeedReport } from '../src/feed-report.ts';

const utc = (s: string) => Date.parse(`${s}Z`);

function strictlyIncreasing(times: readonly number[]): boolean {
  return times.every((t, i) => i === 0 || t > times[i - 1]!);
}

describe('bundled real data', () => {
  it('SPY daily: the unnamed index column is ignored and every row is kept', () => {
    const { bars, report, columns } = loadCsvFile(BUNDLED_DATASETS.spy.path, BUNDLED_DATASETS.spy.load);
    expect(report.rowsRead).toBe(5241);
    expect(report.kept).toBe(5241);
    expect(report.droppedTotal).toBe(0);
    expect(columns).toEqual({
      time: 'date',
      open: 'open',
      high: 'high',
      low: 'low',
      close: 'close',
      volume: 'volume',
    });
    expect(bars[0]).toEqual({
      time: utc('1999-11-01T00:00'),
      open: 136.5,
      high: 137,
      low: 135.5625,
      close: 135.5625,
      volume: 4006500,
    });
    // The file has no final newline: the last row must still be read.
    expect(bars.at(-1)!.time).toBe(utc('2020-08-28T00:00'));
    expect(bars.at(-1)!.close).toBe(350.58);
    expect(strictlyIncreasing(bars.map((b) => b.time))).toBe(true);
  });

  it('BTC daily: 1246 bars from 2017-08-16 to 2021-01-12', () => {
    const { bars, report } = loadCsvFile(BUNDLED_DATASETS.btc.path, BUNDLED_DATASETS.btc.load);
    expect(report).toMatchObject({ rowsRead: 1246, kept: 1246, droppedTotal: 0, newestFirst: false });
    expect(bars[0]!.time).toBe(utc('2017-08-16T00:00'));
    expect(bars.at(-1)).toEqual({
      time: utc('2021-01-12T00:00'),
      open: 34049.15,
      high: 37850,
      low: 32380,
      close: 37371.38,
      volume: 124477.914938,
    });
  });

  it('BTC hourly (dirty): banner skipped, reversed, relabelled duplicates and the partial bar dropped', () => {
    const { bars, report, columns } = loadCsvFile(
      BUNDLED_DATASETS['btc-hourly'].path,
      BUNDLED_DATASETS['btc-hourly'].load,
    );
    expect(columns.volume).toBe('volume_btc');
    expect(report.preambleLines).toBe(1);
    expect(report.newestFirst).toBe(true);
    expect(report.rowsRead).toBe(20111);
    expect(report.kept).toBe(20105);
    expect(report.droppedTotal).toBe(6);
    expect(Object.keys(report.dropped).sort()).toEqual(['duplicate-bar', 'partial-bar']);

    // 2017-11-12 04..08 AM repeat the bars of 23:00..03:00 exactly: the later labels are the copies.
    const dup = report.dropped['duplicate-bar']!;
    expect(dup.count).toBe(5);
    expect(dup.examples[0]).toEqual({
      line: 16909,
      time: '2017-11-12 04-AM',
      detail: 'same OHLCV as the bar at 2017-11-11 23:00 (line 16908)',
    });
    const times = new Set(bars.map((b) => b.time));
    for (const h of [4, 5, 6, 7, 8]) expect(times.has(Date.UTC(2017, 10, 12, h))).toBe(false);
    for (const h of [0, 1, 2, 3, 9]) expect(times.has(Date.UTC(2017, 10, 12, h))).toBe(true);
    expect(times.has(Date.UTC(2017, 10, 11, 23))).toBe(true);

    // The newest row (line 3) was taken mid-hour.
    expect(report.dropped['partial-bar']).toEqual({
      count: 1,
      examples: [
        { line: 3, time: '2019-10-17 09-AM', detail: 'the source was taken before this bar closed' },
      ],
    });
    expect(bars.at(-1)!.time).toBe(Date.UTC(2019, 9, 17, 8));
    expect(bars[0]!.time).toBe(Date.UTC(2017, 6, 1, 11));

    // Zero-volume hours are real (no trades): kept, and counted.
    expect(report.zeroVolume.count).toBe(28);
    expect(bars.filter((b) => b.volume === 0)).toHaveLength(28);

    expect(strictlyIncreasing(bars.map((b) => b.time))).toBe(true);
    expect(bars.every((b) => checkBar(b) === undefined)).toBe(true);
    expect(formatFeedReport(report)).toContain('dropped 5 duplicate-bar');
  });

  it('BTC hourly can drop the zero-volume hours when asked, and says so', () => {
    const { bars, report } = loadCsvFile(BUNDLED_DATASETS['btc-hourly'].path, {
      ...BUNDLED_DATASETS['btc-hourly'].load,
      dropZeroVolume: true,
    });
    expect(bars).toHaveLength(20105 - 28);
    expect(report.dropped['zero-volume']!.count).toBe(28);
  });
});
