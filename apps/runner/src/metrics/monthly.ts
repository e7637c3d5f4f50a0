/** One calendar month's return (UTC). */
export interface MonthReturn {
  readonly year: number;
  /** 1 … 12. */
  readonly month: number;
  /** Equity at the month's last point over equity at the previous month's (or the start): a fraction. */
  readonly return: number;
}

/** One year's row of the monthly table: its months (null where the run has no point) and the year's return. */
export interface YearReturns {
  readonly year: number;
  readonly months: readonly (number | null)[];
  /** Compounded over the months the run covers in that year. */
  readonly total: number;
}

/** Monthly returns of an equity curve, by UTC calendar month, the first measured from `startEquity`. */
export function monthlyReturns(
  startEquity: number,
  curve: readonly { time: number; equity: number }[],
): MonthReturn[] {
  const out: MonthReturn[] = [];
  let base = startEquity;
  for (let i = 0; i < curve.length; i++) {
    const d = new Date(curve[i]!.time);
    const next = curve[i + 1];
    const nd = next === undefined ? undefined : new Date(next.time);
    if (
      nd !== undefined &&
      nd.getUTCFullYear() === d.getUTCFullYear() &&
      nd.getUTCMonth() === d.getUTCMonth()
    )
      continue;
    const e = curve[i]!.equity;
    out.push({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, return: base !== 0 ? e / base - 1 : 0 });
    base = e;
  }
  return out;
}

/** The monthly returns as a year × month table. */
export function yearTable(months: readonly MonthReturn[]): YearReturns[] {
  const years = new Map<number, (number | null)[]>();
  for (const m of months) {
    const row = years.get(m.year) ?? Array.from({ length: 12 }, () => null);
    row[m.month - 1] = m.return;
    years.set(m.year, row);
  }
  return [...years].map(([year, row]) => ({
    year,
    months: row,
    total: row.reduce<number>((a, r) => a * (1 + (r ?? 0)), 1) - 1,
  }));
}
