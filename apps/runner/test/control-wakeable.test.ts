import type { BrokerSettings } from '@orrery/broker';
import { ControlStore, Ledger, PaperBroker } from '@orrery/broker';
import { describe, expect, it } from 'vitest';
import { createRunControl } from '../src/control/run-control.ts';

const settings: BrokerSettings = {
  initialCash: 1_000,
  feeBps: 0,
  slippageBps: 0,
  slippageRangeFraction: 0,
  allowShort: false,
  maxLeverage: 1,
  lotSize: 0,
};

describe('operator control over intrabar wakes', () => {
  it('no wake while commands wait, the run is paused or the symbol blocked; wakes again once resumed', () => {
    const ledger = Ledger.open(':memory:');
    try {
      ledger.createRun('r', settings, {}, 0);
      const store = new ControlStore(ledger.db);
      const control = createRunControl(store, 'r', () => 0);
      const broker = new PaperBroker(settings);
      let t = 0;
      const boundary = () => control.begin(++t, broker).commit(() => undefined);
      expect(control.wakeable?.('X')).toBe(true);
      store.issue('r', { kind: 'pause', by: 'op', reason: 'news' }, 0);
      expect(control.wakeable?.('X')).toBe(false); // pending: the operator's word comes first
      boundary();
      expect(control.wakeable?.('X')).toBe(false); // paused
      store.issue('r', { kind: 'resume', by: 'op', reason: 'ok' }, 0);
      boundary();
      expect(control.wakeable?.('X')).toBe(true);
      store.issue('r', { kind: 'block', symbol: 'X', by: 'op', reason: 'halt' }, 0);
      boundary();
      expect(control.wakeable?.('X')).toBe(false);
      expect(control.wakeable?.('Y')).toBe(true);
    } finally {
      ledger.close();
    }
  });
});
