/**
 * EWMA return correlations between symbols, updated once per step from each symbol's close: the
 * portfolio's view of which positions are one bet. Returns are log returns; the EWMA of r_i·r_j (zero
 * mean, as in RiskMetrics) with span `span` (α = 2 / (span + 1)). A pair needs `span / 2` common steps
 * before it has a correlation.
 */
export class ReturnCorrelation {
  readonly #alpha: number;
  readonly #minObs: number;
  readonly #last = new Map<string, number>();
  /** EWMA of r_i·r_j (i ≤ j by name) and the number of common observations. */
  readonly #co = new Map<string, { m: number; n: number }>();

  constructor(span: number) {
    this.#alpha = 2 / (span + 1);
    this.#minObs = Math.max(2, Math.floor(span / 2));
  }

  /** Feeds one step: the closes of the symbols that have a bar at it. */
  update(closes: Readonly<Record<string, number>>): void {
    const returns: [string, number][] = [];
    for (const [symbol, close] of Object.entries(closes)) {
      if (!(close > 0)) continue;
      const prev = this.#last.get(symbol);
      this.#last.set(symbol, close);
      if (prev !== undefined) returns.push([symbol, Math.log(close / prev)]);
    }
    returns.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (let i = 0; i < returns.length; i++) {
      for (let j = i; j < returns.length; j++) {
        const [a, ra] = returns[i]!;
        const [b, rb] = returns[j]!;
        const key = `${a}\u0000${b}`;
        const c = this.#co.get(key);
        const x = ra * rb;
        if (c === undefined) this.#co.set(key, { m: x, n: 1 });
        else {
          c.m += this.#alpha * (x - c.m);
          c.n++;
        }
      }
    }
  }

  /** The correlation of two symbols' returns, or null before enough common steps. */
  correlation(a: string, b: string): number | null {
    if (a === b) return 1;
    const [x, y] = a < b ? [a, b] : [b, a];
    const cov = this.#co.get(`${x}\u0000${y}`);
    const vx = this.#co.get(`${x}\u0000${x}`);
    const vy = this.#co.get(`${y}\u0000${y}`);
    if (cov === undefined || vx === undefined || vy === undefined || cov.n < this.#minObs) return null;
    const d = Math.sqrt(vx.m * vy.m);
    return d > 0 ? Math.max(-1, Math.min(1, cov.m / d)) : null;
  }
}
