import type { Bar } from '@orrery/agents';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../src/errors.ts';
import { PaperBroker } from '../src/paper-broker.ts';
import type { BrokerSettings, OrderRequest } from '../src/types.ts';

const DAY = 86_400_000;
const base: BrokerSettings = {
  initialCash: 10_000,
  feeBps: 10,
  slippageBps: 0,
  slippageRangeFraction: 0,
  allowShort: false,
  maxLeverage: 1,
  lotSize: 0,
};
const bar = (i: number, open: number, high = open, low = open, close = open): Bar => ({
  time: i * DAY,
  open,
  high,
  low,
  close,
  volume: 1,
});
const mkt = (id: string, side: 'buy' | 'sell', qty: number, placedAt: number): OrderRequest => ({
  id,
  symbol: 'X',
  side,
  type: 'market',
  qty,
  placedAt,
  reason: 'test',
});

describe('paper broker', () => {
  it('fills a decision of bar t at the open of bar t+1, never at bar t', () => {
    const b = new PaperBroker(base);
    b.place(mkt('a', 'buy', 10, DAY));
    expect(b.onBar('X', bar(1, 100, 101, 99, 100))).toEqual([]);
    const [f] = b.onBar('X', bar(2, 105, 110, 104, 108));
    expect(f).toMatchObject({ id: 'a', time: 2 * DAY, qty: 10, price: 105, fee: 1.05 });
    expect(b.cash).toBeCloseTo(10_000 - 1050 - 1.05, 9);
    expect(b.equity()).toBeCloseTo(b.cash + 10 * 108, 9);
  });

  it('charges the fee on both sides of a round trip', () => {
    const b = new PaperBroker({ ...base, feeBps: 25 });
    b.place(mkt('in', 'buy', 10, 0));
    b.onBar('X', bar(1, 100));
    b.place(mkt('out', 'sell', 10, DAY));
    const [f] = b.onBar('X', bar(2, 100));
    expect(f!.fee).toBeCloseTo(2.5, 12);
    expect(b.cash).toBeCloseTo(10_000 - 2 * 2.5, 9);
    expect(b.qty('X')).toBe(0);
  });

  it('slips against the trader by bps and a fraction of the range, capped at the bar extreme', () => {
    const b = new PaperBroker({ ...base, feeBps: 0, slippageBps: 10, slippageRangeFraction: 0.25 });
    b.place(mkt('a', 'buy', 1, 0));
    const [buy] = b.onBar('X', bar(1, 100, 104, 96, 100));
    expect(buy!.price).toBeCloseTo((100 + 0.25 * 8) * 1.001, 9);
    expect(buy!.slippage).toBeCloseTo(buy!.price - 100, 9);
    b.place(mkt('b', 'sell', 1, DAY));
    const [sell] = b.onBar('X', bar(2, 97, 100, 96.5, 98));
    // 97 − 0.875, then − 10 bps, is below the low: the slipped price is capped at the low, never past it
    expect(sell!.price).toBeCloseTo(96.5, 9);
  });

  it('fills limits at the limit or better and expires them after the next bar', () => {
    const b = new PaperBroker({ ...base, feeBps: 0 });
    b.place({ ...mkt('l1', 'buy', 1, 0), type: 'limit', limitPrice: 95 });
    expect(b.onBar('X', bar(1, 100, 101, 96, 100))).toEqual([]);
    expect(b.drainChangedOrders().find((o) => o.id === 'l1')).toMatchObject({ status: 'expired' });
    b.place({ ...mkt('l2', 'buy', 1, DAY), type: 'limit', limitPrice: 95, tif: 'gtc' });
    b.onBar('X', bar(2, 100, 101, 96, 100));
    const [f] = b.onBar('X', bar(3, 93, 99, 92, 98)); // gaps below the limit: better price, the open
    expect(f!.price).toBe(93);
  });

  it('triggers a sell stop at the stop, or at the open when the bar gaps through it', () => {
    const b = new PaperBroker({ ...base, feeBps: 0 });
    b.place(mkt('in', 'buy', 10, 0));
    b.onBar('X', bar(1, 100));
    b.place({ ...mkt('s', 'sell', 10, DAY), type: 'stop', stopPrice: 95 });
    expect(b.onBar('X', bar(2, 99, 100, 96, 97))).toEqual([]);
    const [f] = b.onBar('X', bar(3, 97, 98, 94, 95)); // trades through 95
    expect(f!.price).toBe(95);
    const c = new PaperBroker({ ...base, feeBps: 0 });
    c.place(mkt('in', 'buy', 10, 0));
    c.onBar('X', bar(1, 100));
    c.place({ ...mkt('s', 'sell', 10, DAY), type: 'stop', stopPrice: 95 });
    const [g] = c.onBar('X', bar(2, 90, 92, 88, 91)); // gaps below: fills at the open
    expect(g!.price).toBe(90);
  });

  it('cuts a buy to the cash there is, refuses shorts without allowShort, and rounds to lots', () => {
    const b = new PaperBroker({ ...base, feeBps: 100, lotSize: 1 });
    b.place(mkt('big', 'buy', 1000, 0));
    const [f] = b.onBar('X', bar(1, 100));
    expect(f!.qty).toBe(99); // 10000 / (100 × 1.01) = 99.0099 → 99 whole units
    expect(b.cash).toBeGreaterThanOrEqual(0);
    b.place(mkt('short', 'sell', 500, DAY));
    const [s] = b.onBar('X', bar(2, 100));
    expect(s!.qty).toBe(99);
    expect(b.qty('X')).toBe(0);
    b.place(mkt('none', 'sell', 5, 2 * DAY));
    expect(b.onBar('X', bar(3, 100))).toEqual([]);
    expect(b.drainChangedOrders().find((o) => o.id === 'none')).toMatchObject({ status: 'cancelled' });
  });

  it('places an id once: the same id again returns the first order, a closed id is refused', () => {
    const b = new PaperBroker(base);
    b.place(mkt('a', 'buy', 1, 0));
    expect(b.place(mkt('a', 'buy', 5, 0)).qty).toBe(1);
    expect(b.openOrders()).toHaveLength(1);
    b.onBar('X', bar(1, 100));
    expect(() => b.place(mkt('a', 'buy', 1, 0))).toThrow(BrokerError);
    expect(() => b.place(mkt('z', 'buy', -1, 0))).toThrow('qty must be a positive number');
    expect(() => b.place({ ...mkt('y', 'buy', 1, 0), type: 'limit' })).toThrow('needs a positive limitPrice');
    expect(() => new PaperBroker({ ...base, feeBps: -1 })).toThrow('broker.feeBps must be in [0, 1000)');
  });

  it('restores from its state and goes on exactly as if it had not stopped', () => {
    const run = (restartAt: number | undefined) => {
      let b = new PaperBroker(base);
      const fills = [];
      for (let i = 1; i <= 6; i++) {
        if (i === restartAt) b = new PaperBroker(base, b.state());
        fills.push(...b.onBar('X', bar(i, 100 + i, 102 + i, 98 + i, 101 + i)));
        b.place(mkt(`o${i}`, i % 2 ? 'buy' : 'sell', 3, i * DAY));
      }
      return { fills, cash: b.cash, equity: b.equity() };
    };
    expect(run(4)).toEqual(run(undefined));
  });
});

describe('paper broker accounting (property-based)', () => {
  const settingsArb = fc.record({
    initialCash: fc.double({ min: 100, max: 1e6, noNaN: true }),
    feeBps: fc.oneof(fc.constant(0), fc.double({ min: 0.1, max: 100, noNaN: true })),
    slippageBps: fc.double({ min: 0, max: 50, noNaN: true }),
    slippageRangeFraction: fc.double({ min: 0, max: 0.5, noNaN: true }),
    allowShort: fc.boolean(),
    maxLeverage: fc.constantFrom(0.5, 1, 2, 3),
    lotSize: fc.constantFrom(0, 0.001, 1),
  });
  const barsArb = fc
    .array(
      fc.record({
        ret: fc.double({ min: -0.2, max: 0.2, noNaN: true }),
        up: fc.double({ min: 0, max: 0.05, noNaN: true }),
        down: fc.double({ min: 0, max: 0.05, noNaN: true }),
        c: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      { minLength: 2, maxLength: 40 },
    )
    .map((xs) => {
      let px = 100;
      return xs.map((x, i): Bar => {
        const open = px * (1 + x.ret);
        const high = open * (1 + x.up);
        const low = open * (1 - x.down);
        px = low + x.c * (high - low);
        return { time: (i + 1) * DAY, open, high, low, close: px, volume: 1 };
      });
    });
  const orderArb = fc.record({
    side: fc.constantFrom('buy' as const, 'sell' as const),
    type: fc.constantFrom('market' as const, 'limit' as const, 'stop' as const),
    fraction: fc.double({ min: 0.01, max: 2, noNaN: true }),
    offset: fc.double({ min: -0.1, max: 0.1, noNaN: true }),
  });

  it('cash + Σ qty × price = equity; fees on both sides; no negative cash without margin; qty = Σ fills', () => {
    fc.assert(
      fc.property(
        settingsArb,
        barsArb,
        fc.array(fc.option(orderArb), { minLength: 40, maxLength: 40 }),
        (s, bars, orders) => {
          const b = new PaperBroker(s);
          let cash = s.initialCash;
          let qty = 0;
          bars.forEach((bar, i) => {
            for (const f of b.onBar('X', bar)) {
              const notional = f.qty * f.price;
              expect(f.fee).toBeCloseTo((notional * s.feeBps) / 1e4, 6);
              if (s.feeBps > 0) expect(f.fee).toBeGreaterThan(0);
              cash += f.side === 'buy' ? -notional - f.fee : notional - f.fee;
              qty += f.side === 'buy' ? f.qty : -f.qty;
            }
            expect(b.cash).toBeCloseTo(cash, 6);
            expect(b.qty('X')).toBeCloseTo(qty, 9);
            expect(b.equity()).toBeCloseTo(b.cash + b.qty('X') * bar.close, 6);
            if (s.maxLeverage <= 1 && !s.allowShort)
              expect(b.cash).toBeGreaterThanOrEqual(-1e-9 * s.initialCash);
            if (!s.allowShort) expect(b.qty('X')).toBeGreaterThanOrEqual(-1e-12);
            const o = orders[i];
            if (o) {
              const q = (o.fraction * Math.max(b.equity(), 1)) / bar.close;
              const px = bar.close * (1 + o.offset);
              b.place({
                id: `o${i}`,
                symbol: 'X',
                side: o.side,
                type: o.type,
                qty: q,
                placedAt: bar.time,
                reason: 'prop',
                ...(o.type === 'limit' ? { limitPrice: px } : {}),
                ...(o.type === 'stop' ? { stopPrice: px } : {}),
              });
            }
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('every fill happens on a bar after the one its order was placed on', () => {
    fc.assert(
      fc.property(barsArb, fc.array(orderArb, { minLength: 40, maxLength: 40 }), (bars, orders) => {
        const b = new PaperBroker({ ...base, allowShort: true });
        const placed = new Map<string, number>();
        bars.forEach((bar, i) => {
          for (const f of b.onBar('X', bar)) expect(f.time).toBeGreaterThan(placed.get(f.id)!);
          const o = orders[i]!;
          placed.set(`o${i}`, bar.time);
          b.place({
            id: `o${i}`,
            symbol: 'X',
            side: o.side,
            type: 'market',
            qty: o.fraction,
            placedAt: bar.time,
            reason: 'p',
          });
        });
      }),
    );
  });
});

describe('fills stay inside the bar', () => {
  it('every slippage is applied before the cap: a market fill is inside [low, high], for any settings', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 999, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 1, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        fc.double({ min: 0, max: 0.2, noNaN: true }),
        fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
        (slippageBps, slippageRangeFraction, open, up, down, side) => {
          const b = new PaperBroker({
            ...base,
            initialCash: 1e9,
            slippageBps,
            slippageRangeFraction,
            allowShort: true,
          });
          b.place(mkt('o', side, 1, 0));
          const next = bar(1, open, open * (1 + up), open * (1 - down), open);
          const [fill] = b.onBar('X', next);
          expect(fill).toBeDefined();
          expect(fill!.price).toBeLessThanOrEqual(next.high);
          expect(fill!.price).toBeGreaterThanOrEqual(next.low);
        },
      ),
    );
  });

  it('a bar without trades (no volume, no range) fills nothing; zero volume with a range (an index) fills', () => {
    const b = new PaperBroker(base);
    b.place(mkt('a', 'buy', 1, 0));
    expect(b.onBar('X', { ...bar(1, 100), volume: 0 })).toEqual([]);
    expect(b.openOrders()).toEqual([]); // a next-bar order expires
    b.place(mkt('b', 'buy', 1, DAY));
    expect(b.onBar('X', { ...bar(2, 100, 101, 99, 100.5), volume: 0 })).toHaveLength(1);
  });
});
