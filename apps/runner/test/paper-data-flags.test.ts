import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import type { CliIO } from '../src/commands/io.ts';
import { writeTestConfig } from './support/paper-cli.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2021, 0, 1);
const ROWS = 120;
/** Rows whose close is not a number (25 % of the file: over the default 20 % limit). */
const BAD = new Set(Array.from({ length: 30 }, (_, i) => 4 * i + 3));
/** The row whose close is 1000× the others. */
const SPIKE = 62;

/**
 * A spreadsheet export as users have them: `;`-delimited, decimal commas, dates as M/D/YYYY, a quarter of
 * the rows broken and one absurd spike.
 */
function userFile(dir: string): string {
  const lines = ['Date;Open;High;Low;Close;Volume'];
  for (let i = 0; i < ROWS; i++) {
    const d = new Date(T0 + i * DAY);
    const date = `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()}`;
    const c = (100 + 0.37 * i + 2 * Math.sin(i / 3)) * (i === SPIKE ? 1000 : 1);
    const n = (x: number) => x.toFixed(2).replace('.', ',');
    const close = BAD.has(i) ? 'n/a' : n(c);
    lines.push([date, n(c), n(c * 1.01), n(c * 0.99), close, '1000'].join(';'));
  }
  const file = join(dir, 'export.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('issue 18 item 8 through the command: a spreadsheet export with the data flags', () => {
  const dir = tempDir('orrery-data-flags-');
  let file: string;
  let config: string;
  beforeAll(async () => {
    file = userFile(dir.path);
    config = await writeTestConfig(dir.path);
  });
  afterAll(() => dir.remove());

  async function paper(runId: string, flags: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      env: {},
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const argv = ['node', 'orrery', 'paper', '--data', file, '--symbol', 'ACME', '--config', config];
    const code = await main(
      [...argv, '--no-memory', '--run-id', runId, '--report', join(dir.path, `${runId}.html`), ...flags],
      io,
    );
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  it('over the default bad-row limit: refused in one short line naming the limit and the flag', async () => {
    const r = await paper('strict', []);
    expect(r.code).not.toBe(0);
    const line = r.err.split('\n').find((l) => l.startsWith('error'));
    // the 30 broken rows and the spike
    expect(line, r.err).toMatch(/31 of 120 rows are bad \(more than 20 %\)/);
    expect(line).toMatch(/--max-bad-rows|maxBadRows/);
    expect(r.err.length).toBeLessThan(2_000); // never the whole file
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('--max-bad-rows 0.3: M/D/YYYY and ; detected, the spike dropped and reported; --outliers keep keeps it', async () => {
    const good = ROWS - BAD.size;
    const dropped = await paper('dropped', ['--max-bad-rows', '0.3']);
    expect(dropped.code, dropped.err).toBe(0);
    expect(dropped.err).toMatch(/%m\/%d\/%Y/);
    expect(dropped.err).toMatch(/kept 89 of 120 rows/);
    expect(dropped.out).toContain(`Run dropped · ACME · 2021-01-01 .. 2021-04-29 · ${good - 1} cycles`);
    const kept = await paper('kept', ['--max-bad-rows', '0.3', '--outliers', 'keep']);
    expect(kept.code, kept.err).toBe(0);
    expect(kept.out).toContain(`· ${good} cycles`);
    // the spike is reported either way, never silently
    expect(dropped.err).toMatch(
      /1 outlier\(s\) dropped — e\.g\. line 64 3\/4\/2021: close [\d.]+ is \d+× the close before it/,
    );
    expect(kept.err).toMatch(/1 outlier\(s\) KEPT — e\.g\. line 64 3\/4\/2021/);
  });
});
