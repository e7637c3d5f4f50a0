import type { Fill } from '@orrery/broker';

/** One symbol's bars (time and close are all the holdings need). */
export interface SymbolCloses {
  readonly symbol: string;
  readonly bars: readonly { readonly time: number; readonly close: number }[];
}

/** Positions held after each point of the equity curve, rebuilt from the fills. */
export interface HoldingsPath {
  readonly times: readonly number[];
  readonly equity: readonly number[];
  /** Per symbol: the signed quantity held at each point (after that bar's fills). */
  readonly qty: Readonly<Record<string, readonly number[]>>;
  /** Per symbol: `|qty| × close` at each point (the last close carried over bars the symbol lacks). */
  readonly value: Readonly<Record<string, readonly number[]>>;
}

/** How much of the account was at work. Fractions (0.3 = 30 %). */
export interface ExposureFigures {
  /** Mean over the curve's points of gross position value / equity (points with equity ≤ 0 count as 0). */
  readonly exposure: number;
  /** Fraction of the points with any position open. */
  readonly timeInMarket: number;
  readonly bySymbol: Readonly<Record<string, { readonly exposure: number; readonly timeInMarket: number }>>;
}

/**
 * Rebuilds the positions after every point of the equity curve from the fills: a fill stamped `t` is on
 * the bar of time `t` (at its open), so it counts at that point. Positions are marked at the symbol's
 * last close at or before the point, as the broker marks them.
 */
export function holdingsPath(
  curve: readonly { time: number; equity: number }[],
  fills: readonly Fill[],
  series: readonly SymbolCloses[],
): HoldingsPath {
  const symbols = [...new Set([...series.map((s) => s.symbol), ...fills.map((f) => f.symbol)])];
  const qty: Record<string, number[]> = Object.fromEntries(symbols.map((s) => [s, []]));
  const value: Record<string, number[]> = Object.fromEntries(symbols.map((s) => [s, []]));
  const held = new Map<string, number>();
  const mark = new Map<string, number>();
  const barIx = new Map(series.map((s) => [s.symbol, 0]));
  const bars = new Map(series.map((s) => [s.symbol, s.bars]));
  const sorted = [...fills].sort((a, b) => a.time - b.time);
  let fi = 0;
  for (const p of curve) {
    for (; fi < sorted.length && sorted[fi]!.time <= p.time; fi++) {
      const f = sorted[fi]!;
      held.set(f.symbol, (held.get(f.symbol) ?? 0) + (f.side === 'buy' ? f.qty : -f.qty));
      if (!mark.has(f.symbol)) mark.set(f.symbol, f.price);
    }
    for (const s of symbols) {
      const b = bars.get(s);
      if (b !== undefined) {
        let i = barIx.get(s)!;
        for (; i < b.length && b[i]!.time <= p.time; i++) mark.set(s, b[i]!.close);
        barIx.set(s, i);
      }
      const q = held.get(s) ?? 0;
      qty[s]!.push(q);
      value[s]!.push(Math.abs(q) * (mark.get(s) ?? 0));
    }
  }
  return { times: curve.map((p) => p.time), equity: curve.map((p) => p.equity), qty, value };
}

/** Average exposure and time in market of a {@link HoldingsPath}, in total and per symbol. */
export function exposureFigures(h: HoldingsPath): ExposureFigures {
  const n = h.times.length;
  const symbols = Object.keys(h.qty);
  const share = (i: number, v: number) => (h.equity[i]! > 0 ? v / h.equity[i]! : 0);
  // The broker drops a position whose size is within 1e-9 of zero; fills summed here may leave such dust.
  const isOpen = (q: number) => Math.abs(q) > 1e-9;
  let exposure = 0;
  let inMarket = 0;
  for (let i = 0; i < n; i++) {
    exposure += share(
      i,
      symbols.reduce((a, s) => a + h.value[s]![i]!, 0),
    );
    if (symbols.some((s) => isOpen(h.qty[s]![i]!))) inMarket++;
  }
  const bySymbol = Object.fromEntries(
    symbols.map((s) => {
      let e = 0;
      let t = 0;
      for (let i = 0; i < n; i++) {
        e += share(i, h.value[s]![i]!);
        if (isOpen(h.qty[s]![i]!)) t++;
      }
      return [s, { exposure: n > 0 ? e / n : 0, timeInMarket: n > 0 ? t / n : 0 }];
    }),
  );
  return { exposure: n > 0 ? exposure / n : 0, timeInMarket: n > 0 ? inMarket / n : 0, bySymbol };
}
