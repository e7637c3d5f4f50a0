import { FeedError, FeedErrorCode } from './errors.ts';
import { offsetMs, parseTime, utc } from './parse-time.ts';

/** A compiled time format: text → epoch ms (UTC unless the format has `%z`), or `undefined`. */
export type TimeParser = (text: string) => number | undefined;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** The directives {@link compileTimeFormat} understands, for error messages and `--help`. */
export const TIME_DIRECTIVES = '%Y %y %m %d %e %H %I %p %M %S %f %z %b %B %s %F %T %%';

type Part = 'Y' | 'y' | 'm' | 'd' | 'H' | 'I' | 'p' | 'M' | 'S' | 'f' | 'z' | 'b' | 's';

const NUMERIC = new Set<Part>(['Y', 'y', 'm', 'd', 'H', 'I', 'M', 'S', 's']);

/**
 * Compiles a strftime-like format (`%m/%d/%Y`, `%d.%m.%Y %H:%M`, `%Y%m%d`, `%d-%b-%Y`, `%s`) into a
 * strict parser; the regex it builds has no nested quantifiers, so it runs in linear time. One- or
 * two-digit fields (`%m`, `%d`, `%H`…) take exactly two digits when another number follows them directly
 * (`%Y%m%d`). A date that does not exist (2/30/2021) parses as `undefined`.
 *
 * @param where names the setting in errors (`--time-format`, `run.data[0].columns.timeFormat`).
 * @throws FeedError `ORRERY_FEED_TIME_FORMAT` for an unknown directive, or a format without a year,
 *   month and day (or `%s`), or `%I` without `%p`.
 */
export function compileTimeFormat(format: string, where = '--time-format'): TimeParser {
  const tokens = formatTokens(format, where);
  const has = (p: Part) => tokens.includes(p);
  const dated = (has('Y') || has('y')) && (has('m') || has('b')) && has('d');
  if (!dated && !has('s'))
    throw new FeedError(
      FeedErrorCode.TIME_FORMAT,
      where,
      `'${clip(format)}' needs a year (%Y or %y), a month (%m or %b) and a day (%d), or %s`,
    );
  if (has('I') !== has('p'))
    throw new FeedError(FeedErrorCode.TIME_FORMAT, where, `'${clip(format)}': %I and %p go together`);

  const order: Part[] = [];
  let source = '';
  tokens.forEach((t, k) => {
    if (typeof t !== 'string') {
      source += /\s/.test(t.literal) ? '\\s+' : t.literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
      return;
    }
    const next = tokens[k + 1];
    const tight = typeof next === 'string' && NUMERIC.has(next);
    order.push(t);
    source += patternOf(t, tight);
  });
  const re = new RegExp(`^${source}$`, 'i');

  return (text) => {
    const m = re.exec(text.trim());
    if (!m) return undefined;
    const v: Partial<Record<Part, string>> = {};
    order.forEach((p, k) => {
      const g = m[k + 1];
      if (g !== undefined) v[p] = g;
    });
    if (v.s !== undefined) return Number(v.s) * 1000;
    const year = v.Y !== undefined ? Number(v.Y) : pivot(Number(v.y));
    const month = v.b !== undefined ? MONTHS.indexOf(v.b.slice(0, 3).toLowerCase()) + 1 : Number(v.m);
    let hour = Number(v.H ?? 0);
    if (v.I !== undefined) {
      const h12 = Number(v.I);
      if (h12 < 1 || h12 > 12) return undefined;
      hour = (h12 % 12) + (v.p!.toUpperCase() === 'PM' ? 12 : 0);
    }
    const ms = v.f === undefined ? 0 : Number(v.f.slice(0, 3).padEnd(3, '0'));
    return utc(year, month, Number(v.d), hour, Number(v.M ?? 0), Number(v.S ?? 0), ms, offsetMs(v.z));
  };
}

/**
 * A format's directives and literals, in order; `%F`, `%T`, `%e`, `%B`/`%h` spelled out as the ones they
 * stand for. @throws FeedError `ORRERY_FEED_TIME_FORMAT` for an unknown directive.
 */
function formatTokens(format: string, where: string): (Part | { literal: string })[] {
  const tokens: (Part | { literal: string })[] = [];
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch !== '%') {
      tokens.push({ literal: ch });
      continue;
    }
    const d = format[++i];
    if (d === '%') tokens.push({ literal: '%' });
    else if (d === 'F') tokens.push('Y', { literal: '-' }, 'm', { literal: '-' }, 'd');
    else if (d === 'T') tokens.push('H', { literal: ':' }, 'M', { literal: ':' }, 'S');
    else if (d === 'e') tokens.push('d');
    else if (d === 'B' || d === 'h') tokens.push('b');
    else if (d !== undefined && 'YymdHIpMSfzbs'.includes(d)) tokens.push(d as Part);
    else
      throw new FeedError(
        FeedErrorCode.TIME_FORMAT,
        where,
        `'${clip(format)}': unknown directive %${d ?? ''} (known: ${TIME_DIRECTIVES})`,
      );
  }
  return tokens;
}

function patternOf(p: Part, tight: boolean): string {
  const one2 = tight ? '(\\d{2})' : '(\\d{1,2})';
  switch (p) {
    case 'Y':
      return '(\\d{4})';
    case 'y':
    case 'M':
    case 'S':
      return '(\\d{2})';
    case 'm':
    case 'd':
    case 'H':
    case 'I':
      return one2;
    case 'p':
      return '(AM|PM)';
    case 'f':
      return '(\\d{1,9})';
    case 'z':
      return '(Z|[+-]\\d{2}:?\\d{2})';
    case 'b':
      return '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\\.?';
    case 's':
      return '(\\d{9,11})';
  }
}

/** Two-digit years: 69..99 are 1969..1999, 00..68 are 2000..2068 (POSIX strptime's rule). */
function pivot(yy: number): number {
  return yy >= 69 ? 1900 + yy : 2000 + yy;
}

/**
 * Formats tried, in this order, when a file's times are not ISO-like and no format was given. A file is
 * read with one of them only when it is the only one that reads the most time cells; month-first and
 * day-first formats that both read every cell (no day above 12) are ambiguous and refused.
 */
export const TIME_FORMAT_CANDIDATES: readonly string[] = [
  '%m/%d/%Y',
  '%d/%m/%Y',
  '%m/%d/%Y %H:%M',
  '%d/%m/%Y %H:%M',
  '%m/%d/%Y %H:%M:%S',
  '%d/%m/%Y %H:%M:%S',
  '%m/%d/%Y %I:%M %p',
  '%m/%d/%Y %I:%M:%S %p',
  '%m/%d/%y',
  '%d/%m/%y',
  '%m-%d-%Y',
  '%d-%m-%Y',
  '%d.%m.%Y',
  '%d.%m.%Y %H:%M',
  '%d.%m.%Y %H:%M:%S',
  '%Y.%m.%d',
  '%Y%m%d',
  '%Y%m%d %H:%M:%S',
  '%d-%b-%Y',
  '%d %b %Y',
  '%b %d, %Y',
  '%b %d %Y',
];

const compiled = new Map<string, TimeParser>();
function candidate(f: string): TimeParser {
  let p = compiled.get(f);
  if (!p) {
    p = compileTimeFormat(f);
    compiled.set(f, p);
  }
  return p;
}

/** The time parser a file is read with, and the format's name (`undefined`: the built-in ISO family). */
export interface ChosenTimeFormat {
  readonly parse: TimeParser;
  readonly format: string | undefined;
  /** True when the format was detected rather than given. */
  readonly detected: boolean;
}

/**
 * Picks how to read a file's time cells: the given format; else the built-in ISO/epoch reader when it
 * reads at least `minShare` of the (non-empty) cells; else the single candidate of
 * {@link TIME_FORMAT_CANDIDATES} that reads the most cells (at least `minShare` of them). When none
 * does, the built-in reader is returned and the rows are refused one by one as `bad-time`.
 *
 * @throws FeedError `ORRERY_FEED_TIME_FORMAT` when two or more candidates read the same, largest number of
 *   cells (`1/2/2020`: January 2nd or February 1st?), listing them; and whatever
 *   {@link compileTimeFormat} throws for a given format.
 */
export function chooseTimeFormat(
  cells: readonly string[],
  opts: { format?: string | undefined; where?: string; source: string; minShare: number },
): ChosenTimeFormat {
  if (opts.format !== undefined)
    return { parse: compileTimeFormat(opts.format, opts.where), format: opts.format, detected: false };
  const values = cells.map((c) => c.trim()).filter((c) => c !== '');
  const need = Math.max(1, Math.ceil(values.length * opts.minShare));
  const builtin = { parse: parseTime, format: undefined, detected: false };
  if (values.length === 0 || count(values, parseTime) >= need) return builtin;
  let best = 0;
  let winners: string[] = [];
  for (const f of TIME_FORMAT_CANDIDATES) {
    const n = count(values, candidate(f));
    if (n > best) {
      best = n;
      winners = [f];
    } else if (n === best && n > 0) winners.push(f);
  }
  if (best < need) return builtin;
  if (winners.length > 1)
    throw new FeedError(
      FeedErrorCode.TIME_FORMAT,
      opts.source,
      `the time column is ambiguous (e.g. '${clip(values[0]!)}'): it reads as ${winners
        .map((w) => `'${w}'`)
        .join(' or ')}; say which with --time-format (or columns.timeFormat)`,
    );
  return { parse: candidate(winners[0]!), format: winners[0]!, detected: true };
}

function count(values: readonly string[], parse: TimeParser): number {
  let n = 0;
  for (const v of values) if (parse(v) !== undefined) n++;
  return n;
}

/** At most `n` characters of `s`, with an ellipsis when cut: error messages never echo a whole file. */
export function clip(s: string, n = 80): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length <= n ? one : `${one.slice(0, n - 1)}…`;
}
