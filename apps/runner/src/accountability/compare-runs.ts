import { isDeepStrictEqual } from 'node:util';
import type { Ledger } from '@orrery/broker';

/** Whether two runs took the same decisions and got the same fills. */
export interface RunComparison {
  /** Cycles compared (of the shorter run). */
  readonly cycles: number;
  /** Both runs have the same cycles, each with the same decision and consensus decision. */
  readonly sameDecisions: boolean;
  readonly fills: number;
  /** Same fills (ids compared without the run prefix): time, side, quantity, price, fee, slippage. */
  readonly sameFills: boolean;
  /** The first difference, for people: `decision of SPY@2020-03-02: …`. */
  readonly firstDifference: string | undefined;
}

/**
 * Compares run `b` against run `a` in one ledger: the cycle records' decisions (and what the planet
 * consensus alone would have decided), then the fills. Used to prove a replay reproduced its run.
 */
export function compareRuns(ledger: Ledger, a: string, b: string): RunComparison {
  const ca = ledger.cycles(a);
  const cb = ledger.cycles(b);
  let firstDifference: string | undefined;
  if (ca.length !== cb.length) firstDifference = `${a} has ${ca.length} cycles, ${b} has ${cb.length}`;
  const n = Math.min(ca.length, cb.length);
  for (let i = 0; i < n && firstDifference === undefined; i++) {
    const x = ca[i]!;
    const y = cb[i]!;
    const where = `${x.symbol}@${new Date(x.time).toISOString()}`;
    if (x.symbol !== y.symbol || x.time !== y.time)
      firstDifference = `cycle ${i}: ${where} vs ${y.symbol}@${y.time}`;
    else {
      const rx = x.record as { decision?: unknown; consensusDecision?: unknown };
      const ry = y.record as { decision?: unknown; consensusDecision?: unknown };
      if (!isDeepStrictEqual(rx.decision, ry.decision))
        firstDifference = `decision of ${where}: ${JSON.stringify(rx.decision)} vs ${JSON.stringify(ry.decision)}`;
      else if (!isDeepStrictEqual(rx.consensusDecision, ry.consensusDecision))
        firstDifference = `consensus decision of ${where} differs`;
    }
  }
  const sameDecisions = firstDifference === undefined;
  const strip = (run: string) =>
    ledger
      .fills(run)
      .map(({ id, ...rest }) => ({ id: id.startsWith(`${run}/`) ? id.slice(run.length) : id, ...rest }));
  const fa = strip(a);
  const fb = strip(b);
  const sameFills = isDeepStrictEqual(fa, fb);
  if (!sameFills && firstDifference === undefined) {
    const i = fa.findIndex((f, k) => !isDeepStrictEqual(f, fb[k]));
    firstDifference =
      i < 0
        ? `${b} has ${fb.length - fa.length} more fills`
        : `fill ${i}: ${JSON.stringify(fa[i])} vs ${JSON.stringify(fb[i])}`;
  }
  return { cycles: n, sameDecisions, fills: fa.length, sameFills, firstDifference };
}
