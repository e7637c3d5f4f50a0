import { createSolarSystem, parseSolarSystemConfig } from '@orrery/agents';
import type { BrokerSettings } from '@orrery/broker';
import { ControlStore, Ledger, PaperBroker } from '@orrery/broker';
import { loadDataSource } from '@orrery/feeds';
import { describe, expect, it } from 'vitest';
import { readRunRoi } from '../src/accountability/run-roi.ts';
import { createRunControl } from '../src/control/run-control.ts';
import { mergeSeries } from '../src/loop/steps.ts';
import { runTradingLoop } from '../src/loop/trading-loop.ts';

const SETTINGS: BrokerSettings = {
  initialCash: 100_000,
  feeBps: 10,
  slippageBps: 5,
  slippageRangeFraction: 0,
  allowShort: false,
  maxLeverage: 1,
  lotSize: 0,
};
const steps = mergeSeries([loadDataSource({ source: 'btc' })], {
  from: Date.UTC(2019, 0, 1),
  to: Date.UTC(2020, 11, 31),
});
const agents = parseSolarSystemConfig({});

/** Trades `runId` over steps[from, to) with operator control and no LLM, resuming after its last step. */
async function trade(ledger: Ledger, runId: string, to: number): Promise<void> {
  const last = ledger.getRun(runId)!.lastTime;
  const sys = createSolarSystem({ gateway: null, config: agents });
  await runTradingLoop({
    runId,
    ledger,
    broker: new PaperBroker(SETTINGS, last === undefined ? undefined : ledger.loadState(runId)),
    strategy: {
      cycle: (i) => sys.cycle(i),
      warm: async (i) => void (await sys.cycle(i)),
      stop: () => sys.stop(),
    },
    steps: steps.slice(0, to),
    resumeAfter: last,
    minTradeFraction: agents.risk.minTradeFraction,
    maxExposure: agents.risk.maxExposure,
    control: createRunControl(new ControlStore(ledger.db), runId),
  });
  await sys.stop();
}

describe('the no-LLM counterfactual obeys the same operator commands', () => {
  it('a run paused and flattened by the operator, with no LLM, has an LLM P&L of exactly 0', async () => {
    const ledger = Ledger.open(':memory:');
    try {
      ledger.createRun('r', SETTINGS, {}, 0);
      const store = new ControlStore(ledger.db);
      await trade(ledger, 'r', 200);
      store.issue('r', { kind: 'flatten', by: 'ops', reason: 'risk off' }, 1);
      store.issue('r', { kind: 'pause', by: 'ops' }, 2);
      await trade(ledger, 'r', 400);
      store.issue('r', { kind: 'resume', by: 'ops' }, 3);
      store.issue('r', { kind: 'force', symbol: steps[0]!.bars[0]!.symbol, target: 0.3, by: 'ops' }, 4);
      await trade(ledger, 'r', 500);
      store.issue('r', { kind: 'unforce', symbol: steps[0]!.bars[0]!.symbol, by: 'ops' }, 5);
      await trade(ledger, 'r', steps.length);
      expect(store.commands('r').every((c) => c.status === 'applied')).toBe(true);
      const { roi, counterfactual } = await readRunRoi({
        ledger,
        runId: 'r',
        steps,
        agents,
        learning: false,
      });
      const curve = ledger.equityCurve('r');
      // the counterfactual is the same system without an LLM: with the same commands, the same path
      expect(counterfactual.map((p) => p.equity)).toEqual(curve.map((p) => p.equity));
      expect(roi.llmPnl).toBe(0);
      // and the pause did matter: without the commands the path differs
      const plain = await readRunRoi({
        ledger,
        runId: 'r',
        steps,
        agents,
        learning: false,
        control: false,
      });
      expect(plain.counterfactual.map((p) => p.equity)).not.toEqual(curve.map((p) => p.equity));
    } finally {
      ledger.close();
    }
  });
});
