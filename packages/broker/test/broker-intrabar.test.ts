import type { Bar } from '@orrery/agents';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PaperBroker } from '../src/paper-broker.ts';
import type { BrokerSettings } from '../src/types.ts';

const MIN = 60_000;
const settings: BrokerSettings = {
  initialCash: 100_000,
  feeBps: 10,
  slippageBps: 20,
  slippageRangeFraction: 0.1,
  allowShort: false,
  maxLeverage: 1,
  lotSize: 0,
};
const market = (id: string, side: 'buy' | 'sell', qty: number, placedAt: number) =>
  ({ id, symbol: 'X', side, type: 'market', qty, placedAt, reason: 'test' }) as const;

describe('PaperBroker on a bar still forming', () => {
  it('settles the orders due at the open there, then fills an intrabar order at the last price, inside the range so far', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 50, max: 150, noNaN: true }),
        fc.double({ min: -0.3, max: 0.3, noNaN: true }),
        fc.double({ min: 0, max: 0.05, noNaN: true }),
        (open, move, wick) => {
          const b = new PaperBroker(settings);
          b.place(market('due', 'buy', 100, 0));
          const last = open * (1 + move);
          const forming: Bar = {
            time: MIN,
            open,
            high: Math.max(open, last) * (1 + wick),
            low: Math.min(open, last) * (1 - wick),
            close: last,
            volume: 5,
          };
          const settled = b.settleOpen('X', forming);
          expect(settled.map((f) => [f.id, f.time])).toEqual([['due', MIN]]);
          expect(b.qty('X')).toBe(100);
          const asOf = MIN + 35_000;
          b.place(market('woken', 'sell', 100, asOf));
          b.place(market('later', 'sell', 1, asOf + 1)); // not this wake's: left open
          const [fill] = b.fillIntrabar('X', forming, asOf, 'intrabar fill (why)');
          const slipped = (last - 0.1 * (forming.high - forming.low)) * (1 - 20 / 1e4);
          expect(fill!.price).toBeCloseTo(Math.min(last, Math.max(forming.low, slipped)), 9);
          expect(fill!.time).toBe(asOf);
          expect(b.qty('X')).toBe(0);
          expect(b.mark('X')).toBe(last);
          const orders = b.drainChangedOrders();
          expect(orders.find((o) => o.id === 'woken')).toMatchObject({
            status: 'filled',
            note: 'intrabar fill (why)',
          });
          expect(orders.find((o) => o.id === 'later')).toMatchObject({ status: 'open' });
          // Nothing is filled twice at the close.
          expect(
            b.onBar('X', { ...forming, close: last * 0.9, low: Math.min(forming.low, last * 0.9) }),
          ).toEqual([]);
        },
      ),
    );
  });

  it('a forming bar without trades settles nothing', () => {
    const b = new PaperBroker(settings);
    b.place(market('due', 'buy', 1, 0));
    expect(b.settleOpen('X', { time: MIN, open: 10, high: 10, low: 10, close: 10, volume: 0 })).toEqual([]);
    expect(b.openOrders().map((o) => o.id)).toEqual(['due']);
  });
});
