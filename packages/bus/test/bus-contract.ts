import { afterEach, describe, expect, it } from 'vitest';
import {
  Address,
  type Bus,
  BusClosedError,
  type BusError,
  BusErrorCode,
  type BusOptions,
  createMessage,
  type Delivery,
  HandlerFailedError,
  InvalidMessageError,
  MailboxFullError,
  ManualBusClock,
  type Message,
  NoRespondersError,
  NotARequestError,
  PRIORITIES,
  type Priority,
  priorityRank,
  RemoteError,
  RequestCancelledError,
  RequestTimeoutError,
} from '../src/index.ts';
import { gate, reading, report, tag, waitFor } from './helpers.ts';

/** Makes a fresh bus of the transport under test. */
export type MakeBus = (opts: BusOptions) => Promise<Bus>;

/**
 * The behaviour every `Bus` transport must show. Each transport's test file calls this once.
 * A sentinel message published last proves a negative ("nothing else arrived"): delivery to one
 * subscription is in order, so once the sentinel is in, anything sent before it would be too.
 */
export function runBusContract(name: string, makeBus: MakeBus): void {
  describe(`Bus contract: ${name}`, () => {
    const open: Bus[] = [];
    const make = async (opts: BusOptions = {}): Promise<Bus> => {
      const bus = await makeBus(opts);
      open.push(bus);
      return bus;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    it('delivers to the exact address and to matching patterns, not to others', async () => {
      const bus = await make();
      const got: Record<string, Message[]> = { exact: [], pattern: [], other: [] };
      bus.subscribe(Address.sun, (m) => void got.exact?.push(m));
      bus.subscribe('>', (m) => void got.pattern?.push(m), { broadcasts: false });
      bus.subscribe(Address.allPlanets, (m) => void got.other?.push(m), { broadcasts: false });
      const r = report('technical', 1);
      bus.publish(r);
      await waitFor(() => got.exact?.length === 1 && got.pattern?.length === 1, 'delivery');
      expect(got.exact?.[0]).toEqual(r);
      expect(got.pattern?.[0]).toEqual(r);
      bus.publish(reading('rsi', Address.planet('technical'), 1));
      await waitFor(() => got.other?.length === 1, 'sentinel to planet.*');
      expect(got.other?.[0]?.type).toBe('moon.reading');
      expect(got.exact).toHaveLength(1);
    });

    it('a pattern subscribed before the first exact subscriber of an address still gets its messages', async () => {
      const bus = await make();
      const early: Message[] = [];
      const late: Message[] = [];
      bus.subscribe('>', (m) => void early.push(m), { broadcasts: false });
      bus.subscribe(Address.sun, (m) => void late.push(m));
      const r = report('technical', 1);
      bus.publish(r);
      await waitFor(() => early.length === 1 && late.length === 1, 'delivery to both');
      expect(early[0]).toEqual(r);
      expect(late[0]).toEqual(r);
    });

    it('serves a mailbox critical > high > normal > low, FIFO within a priority', async () => {
      const bus = await make();
      const g = gate();
      const got: string[] = [];
      bus.subscribe(Address.sun, async (m) => {
        got.push(tag(m));
        if (got.length === 1) await g.wait;
      });
      bus.publish(report('a', 0, 'low'));
      await waitFor(() => got.length === 1, 'the blocking message');
      const sent: { p: Priority; t: string }[] = [];
      for (let i = 1; i <= 24; i++) {
        const p = PRIORITIES[(i * 7) % 4] as Priority;
        sent.push({ p, t: `#${i}` });
        bus.publish(report('a', i, p));
      }
      await waitFor(() => bus.metrics().mailboxes[0]?.depth === 24, 'all 24 queued');
      expect(bus.metrics().mailboxes[0]?.depthByPriority).toEqual({
        critical: 6,
        high: 6,
        normal: 6,
        low: 6,
      });
      g.open();
      await waitFor(() => got.length === 25, 'all delivered');
      const expected = [...sent].sort((a, b) => priorityRank(a.p) - priorityRank(b.p)).map((s) => s.t);
      expect(got.slice(1)).toEqual(expected);
      expect(bus.metrics().mailboxes[0]?.maxDepth).toBe(24);
    });

    it('drops the oldest reading when a mailbox overflows, and counts the drops', async () => {
      const bus = await make();
      const g = gate();
      const got: number[] = [];
      const to = Address.planet('risk');
      bus.subscribe(
        to,
        async (m) => {
          if (m.type === 'moon.reading') got.push(m.payload.value);
          if (got.length === 1) await g.wait;
        },
        { capacity: 3 },
      );
      bus.publish(reading('atr', to, 0));
      await waitFor(() => got.length === 1, 'the blocking reading');
      for (let v = 1; v <= 5; v++) bus.publish(reading('atr', to, v));
      await waitFor(() => bus.metrics().dropped === 2, 'two drops');
      expect(bus.metrics().mailboxes[0]).toMatchObject({ depth: 3, dropped: 2, capacity: 3 });
      expect(bus.metrics().droppedByType).toEqual({ 'moon.reading': 2 });
      g.open();
      await waitFor(() => got.length === 4, 'the survivors');
      expect(got).toEqual([0, 3, 4, 5]);
    });

    it('rejects a directive to a full mailbox with an error envelope to the sender', async () => {
      const bus = await make();
      const g = gate();
      const got: string[] = [];
      const errors: Message[] = [];
      const planet = Address.planet('execution');
      bus.subscribe(Address.sun, (m) => void errors.push(m), { broadcasts: false });
      bus.subscribe(
        planet,
        async (m) => {
          if (m.type === 'sun.directive') got.push(m.payload.task);
          if (got.length === 1) await g.wait;
        },
        { capacity: 2 },
      );
      const directive = (task: string) =>
        createMessage('sun.directive', { sender: Address.sun, recipient: planet, payload: { task } });
      bus.publish(directive('d0'));
      await waitFor(() => got.length === 1, 'the blocking directive');
      const refused = directive('d3');
      for (const d of [directive('d1'), directive('d2'), refused]) bus.publish(d);
      await waitFor(() => errors.length === 1, 'the error envelope');
      expect(errors[0]).toMatchObject({
        type: 'error',
        sender: planet,
        recipient: Address.sun,
        correlationId: refused.id,
        payload: { code: BusErrorCode.MAILBOX_FULL },
      });
      expect(bus.metrics().rejectedByType).toEqual({ 'sun.directive': 1 });
      g.open();
      await waitFor(() => got.length === 3, 'the queued directives');
      expect(got).toEqual(['d0', 'd1', 'd2']);
    });

    it('answers a request with the first reply, correlated to the request', async () => {
      const bus = await make();
      bus.subscribe(Address.planet('technical'), (m, d) => {
        if (m.type === 'request') d.reply({ echo: m.payload.body, topic: m.payload.topic });
      });
      const reply = await bus.request(Address.planet('technical'), {
        sender: Address.sun,
        topic: 'analyse',
        body: { symbol: 'ETH-USD' },
      });
      expect(reply).toMatchObject({
        type: 'reply',
        sender: Address.planet('technical'),
        recipient: Address.sun,
        payload: { body: { echo: { symbol: 'ETH-USD' }, topic: 'analyse' } },
      });
      expect(bus.metrics().requests).toMatchObject({ sent: 1, answered: 1 });
    });

    it('answers a directive with a planet.report correlated to it, and refuses the wrong answer kind', async () => {
      const bus = await make();
      const seen: Message[] = [];
      bus.subscribe(Address.planet('technical'), (m, d) => {
        seen.push(m);
        if (m.type !== 'sun.directive') return;
        expect(() => d.reply({ no: true })).toThrow(NotARequestError);
        if (m.payload.symbol === 'BAD') {
          d.fail('PLANET_FAILED', 'cannot analyse BAD');
          return;
        }
        d.report({ symbol: m.payload.symbol ?? '?', signal: 0.25, confidence: 0.5, reasons: ['up'] });
        expect(() => d.report({ symbol: 'x', signal: 0, confidence: 0, reasons: [] })).toThrow(
          NotARequestError,
        );
      });
      const answer = await bus.direct(
        Address.planet('technical'),
        { task: 'analyse', symbol: 'ETH-USD', params: { mode: 'LIGHT_REASONING' } },
        { timeoutMs: 5_000 },
      );
      expect(answer).toMatchObject({
        type: 'planet.report',
        sender: 'planet.technical',
        recipient: 'sun',
        correlationId: seen[0]?.id,
        payload: { symbol: 'ETH-USD', signal: 0.25, confidence: 0.5, reasons: ['up'] },
      });
      expect(seen[0]).toMatchObject({ type: 'sun.directive', sender: 'sun', payload: { task: 'analyse' } });
      const failed = await bus
        .direct(Address.planet('technical'), { task: 'analyse', symbol: 'BAD' })
        .catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(RemoteError);
      expect(failed).toMatchObject({ remoteCode: 'PLANET_FAILED' });
      const nobody = await bus.direct(Address.planet('nobody'), { task: 'analyse' }).catch((e: unknown) => e);
      expect(nobody).toBeInstanceOf(NoRespondersError);
      expect(bus.metrics().requests).toMatchObject({ sent: 3, answered: 1, failed: 1 });
    });

    it('times a request out on the injected clock', async () => {
      const clock = new ManualBusClock();
      const bus = await make({ clock });
      const seen: Message[] = [];
      bus.subscribe(Address.planet('slow'), (m) => void seen.push(m));
      const answer = bus.request(
        Address.planet('slow'),
        { sender: Address.sun, topic: 'think' },
        { timeoutMs: 250 },
      );
      await waitFor(() => seen.length === 1, 'the request to arrive');
      clock.advance(249);
      clock.advance(1);
      const err = await answer.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestTimeoutError);
      expect(err).toMatchObject({
        code: BusErrorCode.REQUEST_TIMEOUT,
        timeoutMs: 250,
        address: 'planet.slow',
      });
      expect(bus.metrics().requests.timedOut).toBe(1);
      expect(clock.pendingTimers).toBe(0);
    });

    it('cancels a request through its AbortSignal, before or after sending', async () => {
      const bus = await make();
      const seen: Message[] = [];
      bus.subscribe(Address.planet('slow'), (m) => void seen.push(m));
      const ac = new AbortController();
      const answer = bus.request(
        Address.planet('slow'),
        { sender: Address.sun, topic: 't' },
        { signal: ac.signal },
      );
      await waitFor(() => seen.length === 1, 'the request to arrive');
      ac.abort(new Error('the sun changed its mind'));
      const err = await answer.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RequestCancelledError);
      expect((err as Error).cause).toEqual(new Error('the sun changed its mind'));
      const early = await bus
        .request(Address.planet('slow'), { sender: Address.sun, topic: 't' }, { signal: AbortSignal.abort() })
        .catch((e: unknown) => e);
      expect(early).toBeInstanceOf(RequestCancelledError);
      expect(bus.metrics().requests.cancelled).toBe(2);
    });

    it('fails a request fast when nobody listens, when the handler throws, or when the mailbox is full', async () => {
      const errors: BusError[] = [];
      const bus = await make({ onError: (e) => errors.push(e) });
      const none = await bus
        .request(Address.planet('nobody'), { sender: Address.sun, topic: 't' })
        .catch((e: unknown) => e);
      expect(none).toBeInstanceOf(NoRespondersError);

      bus.subscribe(Address.planet('broken'), () => {
        throw new Error('division by zero');
      });
      const broken = await bus
        .request(Address.planet('broken'), { sender: Address.sun, topic: 't' })
        .catch((e: unknown) => e);
      expect(broken).toBeInstanceOf(RemoteError);
      expect(broken).toMatchObject({ remoteCode: BusErrorCode.HANDLER_FAILED, address: 'planet.broken' });
      expect((broken as Error).message).toContain('division by zero');
      expect(errors[0]).toBeInstanceOf(HandlerFailedError);

      const g = gate();
      let calls = 0;
      bus.subscribe(
        Address.planet('busy'),
        async () => {
          calls++;
          await g.wait;
        },
        { capacity: 1 },
      );
      const first = bus
        .request(Address.planet('busy'), { sender: Address.sun, topic: 't' })
        .catch(() => 'late');
      await waitFor(() => calls === 1, 'the first request');
      const second = bus
        .request(Address.planet('busy'), { sender: Address.sun, topic: 't' })
        .catch(() => 'late');
      await waitFor(() => bus.metrics().mailboxes.some((m) => m.depth === 1), 'the second request queued');
      const third = await bus
        .request(Address.planet('busy'), { sender: Address.sun, topic: 't' })
        .catch((e: unknown) => e);
      expect(third).toBeInstanceOf(MailboxFullError);
      expect(third).toMatchObject({ address: 'planet.busy' });
      g.open();
      await bus.close();
      expect(await first).toBe('late');
      expect(await second).toBe('late');
    });

    it('delivers a planet-to-planet message to its target and copies it to the sun, once per subscription', async () => {
      const bus = await make();
      const seen: { who: string; m: Message; d: Delivery }[] = [];
      const watch = (who: string) => (m: Message, d: Delivery) => void seen.push({ who, m, d });
      bus.subscribe(Address.planet('risk'), watch('risk'), { broadcasts: false });
      bus.subscribe(Address.sun, watch('sun'), { broadcasts: false });
      bus.subscribe('>', watch('all'), { broadcasts: false });
      bus.subscribe(Address.planet('sentiment'), watch('sentiment'), { broadcasts: false });
      const lateral = createMessage('planet.lateral', {
        sender: Address.planet('technical'),
        recipient: Address.planet('risk'),
        payload: { topic: 'volatility', body: { atr: 3.2 } },
      });
      bus.publish(lateral);
      const sentinel = report('sentinel', 99);
      bus.publish(sentinel);
      await waitFor(() => seen.filter((s) => s.m.id === sentinel.id).length === 2, 'the sentinel');
      const of = (who: string) => seen.filter((s) => s.who === who && s.m.id === lateral.id);
      expect(of('risk').map((s) => s.d.copy)).toEqual([false]);
      expect(of('sun').map((s) => s.d.copy)).toEqual([true]);
      expect(of('sun')[0]?.m).toEqual(lateral);
      expect(of('all').map((s) => s.d.copy)).toEqual([false]);
      expect(of('sentiment')).toEqual([]);
    });

    it('broadcasts a decree to every subscription that accepts broadcasts', async () => {
      const bus = await make();
      const got: Record<string, string[]> = {};
      const watch = (who: string) => (m: Message) => {
        got[who] = [...(got[who] ?? []), m.type];
      };
      bus.subscribe(Address.planet('technical'), watch('technical'));
      bus.subscribe(Address.allMoons, watch('moons'));
      bus.subscribe(Address.planet('deaf'), watch('deaf'), { broadcasts: false });
      const decree = bus.broadcast({ decision: { action: 'buy', size: 0.1 }, symbol: 'BTC-USD' });
      expect(decree).toMatchObject({ type: 'broadcast.decree', sender: 'sun', recipient: 'broadcast' });
      bus.publish(reading('sentinel', Address.planet('deaf'), 1));
      await waitFor(() => got.technical?.length === 1 && got.moons?.length === 1, 'the decree');
      await waitFor(() => got.deaf?.length === 1, 'the sentinel');
      expect(got).toEqual({
        technical: ['broadcast.decree'],
        moons: ['broadcast.decree'],
        deaf: ['moon.reading'],
      });
    });

    it('rejects an invalid message with a typed error, counts it and never delivers it', async () => {
      const bus = await make();
      const got: Message[] = [];
      bus.subscribe(Address.sun, (m) => void got.push(m));
      const bad = { ...report('technical', 1), id: 'fresh-id', payload: { symbol: 'X', signal: 2 } };
      expect(() => bus.publish(bad as unknown as Message)).toThrow(InvalidMessageError);
      const err = (() => {
        try {
          bus.publish({ type: 'nonsense' } as unknown as Message);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toMatchObject({ code: BusErrorCode.INVALID_MESSAGE });
      expect(bus.metrics().invalid).toBe(2);
      const sentinel = report('technical', 2);
      bus.publish(sentinel);
      await waitFor(() => got.length === 1, 'the sentinel');
      expect(got[0]?.id).toBe(sentinel.id);
    });

    it('refuses reply() on a plain message, and stops delivering after unsubscribe', async () => {
      const bus = await make();
      const errs: unknown[] = [];
      const got: Message[] = [];
      const off = bus.subscribe(Address.sun, (m, d) => {
        got.push(m);
        try {
          d.reply(null);
        } catch (e) {
          errs.push(e);
        }
      });
      bus.publish(report('a', 1));
      await waitFor(() => got.length === 1, 'the first report');
      expect(errs[0]).toBeInstanceOf(NotARequestError);
      off();
      off();
      const after: Message[] = [];
      bus.subscribe(Address.sun, (m) => void after.push(m));
      bus.publish(report('a', 2));
      await waitFor(() => after.length === 1, 'the second report');
      expect(got).toHaveLength(1);
    });

    it('rejects pending requests and refuses publishing once closed', async () => {
      const bus = await make();
      bus.subscribe(Address.planet('slow'), () => {});
      const pending = bus
        .request(Address.planet('slow'), { sender: Address.sun, topic: 't' })
        .catch((e) => e);
      await bus.close();
      expect(await pending).toBeInstanceOf(BusClosedError);
      expect(() => bus.publish(report('a', 1))).toThrow(BusClosedError);
      await expect(bus.request(Address.sun, { sender: Address.sun, topic: 't' })).rejects.toBeInstanceOf(
        BusClosedError,
      );
      await bus.close();
    });
  });
}
