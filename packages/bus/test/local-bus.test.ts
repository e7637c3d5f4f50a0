import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Address, LocalBus, PRIORITIES, priorityRank } from '../src/index.ts';
import { runBusContract } from './bus-contract.ts';
import { gate, report, tag, waitFor } from './helpers.ts';

runBusContract('LocalBus', async (opts) => new LocalBus(opts));

describe('LocalBus specifics', () => {
  it('delivers queued messages in stable priority order, whatever the mix (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...PRIORITIES), { maxLength: 60 }), async (priorities) => {
        const bus = new LocalBus();
        const g = gate();
        const got: string[] = [];
        bus.subscribe(Address.sun, async (m) => {
          got.push(tag(m));
          if (got.length === 1) await g.wait;
        });
        bus.publish(report('a', -1));
        for (const [i, p] of priorities.entries()) bus.publish(report('a', i, p));
        g.open();
        await waitFor(() => got.length === priorities.length + 1, 'all delivered');
        const expected = priorities
          .map((p, i) => ({ p, t: `#${i}` }))
          .sort((a, b) => priorityRank(a.p) - priorityRank(b.p))
          .map((x) => x.t);
        expect(got.slice(1)).toEqual(expected);
        await bus.close();
      }),
      { numRuns: 50 },
    );
  });

  it('delivers to an idle subscriber inside publish, and queues re-entrant publishes instead of recursing', () => {
    const bus = new LocalBus();
    const got: string[] = [];
    bus.subscribe(Address.sun, (m) => {
      got.push(tag(m));
      if (tag(m) === '#0') {
        bus.publish(report('a', 1));
        bus.publish(report('a', 2, 'critical'));
        got.push('returning');
      }
    });
    bus.publish(report('a', 0));
    expect(got).toEqual(['#0', 'returning', '#2', '#1']);
  });
});
