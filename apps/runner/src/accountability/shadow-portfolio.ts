import type { BrokerSettings, Fill } from '@orrery/broker';
import { Ledger, PaperBroker } from '@orrery/broker';
import type { LoopControl } from '../control/loop-control.ts';
import type { Step } from '../loop/steps.ts';
import type { CycleLike, Strategy } from '../loop/strategy.ts';
import { runTradingLoop } from '../loop/trading-loop.ts';

/** A simulated account's path: equity after every step, and its fills. */
export interface ShadowRun {
  readonly equity: { time: number; equity: number }[];
  readonly fills: Fill[];
}

/**
 * Trades `strategy` over `steps` in a throwaway account: the paper-trading loop itself
 * (`runTradingLoop`) with a fresh {@link PaperBroker} of the same settings and an in-memory ledger, so
 * the fills model, the order rules and the cut-off when equity is gone are exactly the real run's.
 * The strategy is stopped afterwards.
 */
export async function tradeShadow(o: {
  readonly steps: readonly Step[];
  readonly settings: BrokerSettings;
  readonly minTradeFraction: number;
  /** The run's leverage cap across symbols. */
  readonly maxExposure?: number | undefined;
  readonly strategy: Strategy<CycleLike>;
  /**
   * The operator control the shadow obeys, built on the shadow's own ledger database (e.g. the real run's
   * commands replayed, {@link replayedControl}); absent: none.
   */
  readonly control?: ((db: Ledger['db'], runId: string) => LoopControl) | undefined;
  /** The news source of the run being shadowed. */
  readonly news?: ((symbol: string, time: number) => readonly string[]) | undefined;
}): Promise<ShadowRun> {
  const ledger = Ledger.open(':memory:');
  try {
    ledger.createRun('shadow', o.settings, {}, 0);
    await runTradingLoop({
      runId: 'shadow',
      ledger,
      broker: new PaperBroker(o.settings),
      strategy: o.strategy,
      steps: o.steps,
      minTradeFraction: o.minTradeFraction,
      maxExposure: o.maxExposure,
      news: o.news,
      // only its equity and fills are read back: its records would fill memory for nothing
      storeCycles: false,
      ...(o.control === undefined ? {} : { control: o.control(ledger.db, 'shadow') }),
    });
    return {
      equity: ledger.equityCurve('shadow').map(({ time, equity }) => ({ time, equity })),
      fills: ledger.fills('shadow'),
    };
  } finally {
    ledger.close();
    await o.strategy.stop();
  }
}
