import { join } from 'node:path';
import { tempDir } from '@orrery/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerError } from '../src/errors.ts';
import { Ledger } from '../src/ledger-db.ts';
import { PaperBroker } from '../src/paper-broker.ts';
import type { BrokerSettings } from '../src/types.ts';

const settings: BrokerSettings = {
  initialCash: 1000,
  feeBps: 10,
  slippageBps: 5,
  slippageRangeFraction: 0,
  allowShort: false,
  maxLeverage: 1,
  lotSize: 0,
};
const bar = (t: number, p: number) => ({ time: t, open: p, high: p + 1, low: p - 1, close: p, volume: 1 });

describe('SQLite ledger', () => {
  const dirs: { remove(): void }[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.remove();
  });
  const open = () => {
    const d = tempDir('orrery-ledger-');
    dirs.push(d);
    return join(d.path, 'ledger.db');
  };

  it('commits steps atomically and restores the broker exactly, in a new process-like reopen', () => {
    const path = open();
    const ledger = Ledger.open(path);
    ledger.createRun('r1', settings, { data: 'spy' }, 1);
    const broker = new PaperBroker(settings);
    for (let t = 1; t <= 3; t++) {
      const fills = broker.onBar('X', bar(t, 100 + t));
      broker.place({
        id: `r1/X/${t}`,
        symbol: 'X',
        side: 'buy',
        type: 'market',
        qty: 1,
        placedAt: t,
        reason: 'r',
      });
      ledger.commitStep('r1', {
        time: t,
        fills,
        orders: broker.drainChangedOrders(),
        state: broker.state(),
        equity: broker.equity(),
        cycles: [{ symbol: 'X', time: t, mode: 'MONITOR_ONLY', record: { t }, portfolio: { equity: t } }],
      });
    }
    ledger.close();

    const again = Ledger.open(path);
    const run = again.getRun('r1')!;
    expect(run).toMatchObject({ status: 'running', lastTime: 3, meta: { data: 'spy' }, settings });
    const restored = new PaperBroker(settings, again.loadState('r1'));
    expect(restored.state()).toEqual(broker.state());
    expect(again.fills('r1').map((f) => f.id)).toEqual(['r1/X/1', 'r1/X/2']);
    expect(again.orders('r1').map((o) => [o.id, o.status])).toEqual([
      ['r1/X/1', 'filled'],
      ['r1/X/2', 'filled'],
      ['r1/X/3', 'open'],
    ]);
    expect(again.equityCurve('r1').map((p) => p.time)).toEqual([1, 2, 3]);
    expect(again.cycles('r1')[2]).toEqual({
      symbol: 'X',
      time: 3,
      mode: 'MONITOR_ONLY',
      record: { t: 3 },
      portfolio: { equity: 3 },
    });

    // A step at or before the last committed one, or a fill written twice, is refused whole.
    const step = { time: 3, fills: [], orders: [], state: restored.state(), equity: 1, cycles: [] };
    expect(() => again.commitStep('r1', step)).toThrow(LedgerError);
    const dupFill = again.fills('r1')[0]!;
    expect(() => again.commitStep('r1', { ...step, time: 4, fills: [dupFill] })).toThrow(/UNIQUE|PRIMARY/);
    expect(again.getRun('r1')!.lastTime).toBe(3);
    expect(again.equityCurve('r1')).toHaveLength(3);

    expect(() => again.createRun('r1', settings, {}, 2)).toThrow('run r1: already exists');
    expect(() => again.loadState('nope')).toThrow('run nope: is not in the ledger');
    again.finishRun('r1', 'completed');
    expect(again.listRuns().map((r) => [r.id, r.status])).toEqual([['r1', 'completed']]);
    again.close();
  });
});
