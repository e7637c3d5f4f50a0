/**
 * Parses the time formats market data files use, always as UTC, never through the lenient and
 * locale-dependent `Date.parse`:
 * `YYYY-MM-DD`, `YYYY-MM-DD HH-AM|PM` (CryptoDataDownload), `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM]`
 * (`/` also accepted between date parts), and epoch seconds (≥ 1e8) or milliseconds (≥ 1e11).
 *
 * @returns epoch milliseconds, or `undefined` when the text is not one of those formats or names a
 *   date that does not exist (2021-02-30).
 */
export function parseTime(text: string): number | undefined {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    if (n >= 1e11) return Math.round(n);
    if (n >= 1e8) return Math.round(n * 1000);
    return undefined;
  }
  const date = /^(\d{4})[-/](\d{2})[-/](\d{2})(.*)$/.exec(s);
  if (!date) return undefined;
  const [, y, mo, d, rest = ''] = date;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (rest === '') return utc(year, month, day, 0, 0, 0, 0, 0);
  const ampm = /^ (\d{1,2})-(AM|PM)$/i.exec(rest);
  if (ampm) {
    const h12 = Number(ampm[1]);
    if (h12 < 1 || h12 > 12) return undefined;
    const hour = (h12 % 12) + (ampm[2]!.toUpperCase() === 'PM' ? 12 : 0);
    return utc(year, month, day, hour, 0, 0, 0, 0);
  }
  const clock = /^[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(rest);
  if (!clock) return undefined;
  const [, hh, mm, ss = '0', ms = '0', zone] = clock;
  return utc(year, month, day, Number(hh), Number(mm), Number(ss), Number(ms.padEnd(3, '0')), offsetMs(zone));
}

/** A `Z`, `+HH:MM`, `+HHMM` or `-HH…` zone as milliseconds east of UTC (none: UTC). Shared with time-format.ts. */
export function offsetMs(zone: string | undefined): number {
  if (zone === undefined || zone.toUpperCase() === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

/**
 * Epoch ms of a UTC calendar time shifted back by `offset`, or undefined when the date or clock does not
 * exist (month 13, Feb 30, 24:00). Shared with time-format.ts.
 */
export function utc(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms: number,
  offset: number,
): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const back = new Date(t);
  // Date.UTC rolls 2021-02-30 over to March; a date that does not exist is refused instead.
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d)
    return undefined;
  return t - offset;
}

/**
 * Formats epoch ms as `YYYY-MM-DD HH:MM` (UTC; `HH:MM:SS` when the seconds are not 0), or as
 * `YYYY-MM-DD` when `dateOnly` allows it (midnight).
 */
export function formatTime(ms: number, dateOnly = true): string {
  const iso = new Date(ms).toISOString();
  if (dateOnly && iso.endsWith('T00:00:00.000Z')) return iso.slice(0, 10);
  return `${iso.slice(0, 10)} ${iso.slice(11, iso.slice(17, 19) === '00' ? 16 : 19)}`;
}
