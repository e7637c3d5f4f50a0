import type { SolarSystemConfig } from '../config.ts';
import type { CycleRecord } from '../cycle-record.ts';
import type { CycleInput } from '../sun/cycle-work.ts';
import { correlatedScales } from './correlated-cap.ts';
import { ReturnCorrelation } from './correlation.ts';

/**
 * What the run's orchestrator sees across symbols, step after step: every symbol's closes (for return
 * correlations) and each step's decisions together, so limits that no single symbol's sun can see —
 * positions that are one bet (`risk.maxCorrelatedExposure`) — hold across the portfolio.
 */
export class PortfolioView {
  readonly #risk: SolarSystemConfig['risk'];
  readonly #corr: ReturnCorrelation;

  constructor(risk: SolarSystemConfig['risk']) {
    this.#risk = risk;
    this.#corr = new ReturnCorrelation(risk.correlationSpan);
  }

  /** Whether any cross-symbol limit is configured (without one, steps are left as they are). */
  get active(): boolean {
    return this.#risk.maxCorrelatedExposure !== undefined;
  }

  /** The return correlation of two symbols so far, or null before enough common bars. */
  correlation(a: string, b: string): number | null {
    return this.#corr.correlation(a, b);
  }

  /**
   * Sees one step (its bars first, so a correlation includes the bar being decided) and holds its
   * decisions to the portfolio limits: a scaled decision keeps its sign, names the limit in `clamps`
   * and says by how much in its rationale.
   */
  step(inputs: readonly CycleInput[], records: readonly CycleRecord[]): CycleRecord[] {
    const cap = this.#risk.maxCorrelatedExposure;
    if (cap === undefined) return [...records];
    this.#corr.update(Object.fromEntries(inputs.map((i) => [i.symbol, i.bar.close])));
    const targets = Object.fromEntries(records.map((r) => [r.symbol, r.decision.targetFraction]));
    const scales = correlatedScales(
      targets,
      (a, b) => this.#corr.correlation(a, b),
      this.#risk.correlationThreshold,
      cap,
    );
    return records.map((r) => {
      const f = scales[r.symbol] ?? 1;
      if (!(f < 1)) return r;
      const d = r.decision;
      const t = d.targetFraction * f;
      const action = t === 0 ? 'flatten' : d.action === 'hold' ? (t > 0 ? 'sell' : 'buy') : d.action;
      return {
        ...r,
        decision: {
          ...d,
          action,
          targetFraction: t,
          rationale: `${d.rationale} [portfolio: scaled x ${Number(f.toPrecision(4))} to the ${cap} cap on correlated exposure]`,
        },
        clamps: [...r.clamps, 'correlated exposure'],
      };
    });
  }
}
