import { connect } from '@nats-io/transport-node';
import { type NatsServerHandle, startNatsServer } from '@orrery/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  Address,
  BusClosedError,
  type BusError,
  InvalidArgumentError,
  InvalidMessageError,
  type Message,
  NatsBus,
  TransportError,
} from '../src/index.ts';
import { runBusContract } from './bus-contract.ts';
import { report, tag, waitFor } from './helpers.ts';

let server: NatsServerHandle;

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  await server?.stop();
});

runBusContract('NatsBus', (opts) => NatsBus.connect({ ...opts, servers: server.url }));

describe('NatsBus across processes', () => {
  const open: NatsBus[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  const bus = async (opts: Partial<Parameters<typeof NatsBus.connect>[0]> = {}) => {
    const b = await NatsBus.connect({ servers: server.url, reconnectTimeWaitMs: 50, ...opts });
    open.push(b);
    return b;
  };

  it('carries messages and requests between two connections', async () => {
    const planetSide = await bus({ name: 'planet-process' });
    const sunSide = await bus({ name: 'sun-process' });
    const got: Message[] = [];
    planetSide.subscribe(Address.planet('technical'), (m, d) => {
      got.push(m);
      if (m.type === 'request') d.reply({ signal: 0.25 });
    });
    sunSide.subscribe(Address.sun, (m) => void got.push(m));
    await planetSide.flush();
    const reply = await sunSide.request(Address.planet('technical'), {
      sender: Address.sun,
      topic: 'analyse',
    });
    expect(reply.payload.body).toEqual({ signal: 0.25 });
    planetSide.publish(report('technical', 7));
    await waitFor(() => got.some((m) => m.type === 'planet.report'), 'the report in the sun process');
    expect(tag(got.find((m) => m.type === 'planet.report') as Message)).toBe('#7');
  });

  it('refuses malformed wire messages: counted, reported, never delivered', async () => {
    const errors: BusError[] = [];
    const b = await bus({ onError: (e) => errors.push(e) });
    const got: Message[] = [];
    b.subscribe(Address.sun, (m) => void got.push(m));
    const raw = await connect({ servers: server.url });
    try {
      const enc = new TextEncoder();
      raw.publish('orrery.sun', enc.encode('{not json'));
      raw.publish('orrery.sun', enc.encode(JSON.stringify({ ...report('x', 1), payload: { signal: 9 } })));
      raw.publish('orrery.sun', enc.encode(JSON.stringify(report('x', 2))));
      await raw.flush();
    } finally {
      await raw.close();
    }
    await waitFor(() => got.length === 1, 'the valid message');
    expect(tag(got[0] as Message)).toBe('#2');
    expect(b.metrics().invalid).toBe(2);
    expect(errors).toHaveLength(2);
    expect(errors.every((e) => e instanceof InvalidMessageError)).toBe(true);
    expect((errors[1] as InvalidMessageError).issues.map((i) => i.path.join('.'))).toContain(
      'payload.symbol',
    );
  });

  it('keeps working when the server restarts mid-stream', async () => {
    const b = await bus();
    const got: string[] = [];
    b.subscribe(Address.sun, (m) => void got.push(tag(m)));
    for (let i = 0; i < 5; i++) b.publish(report('a', i));
    await waitFor(() => got.length === 5, 'messages before the restart');
    await server.restart();
    // Published right away: the client may not have reconnected yet; the bus holds them until it has.
    for (let i = 5; i < 10; i++) b.publish(report('a', i));
    await waitFor(() => b.metrics().reconnects >= 1, 'the reconnect');
    await waitFor(() => got.length === 10, 'messages after the restart');
    expect(got).toEqual(['#0', '#1', '#2', '#3', '#4', '#5', '#6', '#7', '#8', '#9']);
    for (let i = 10; i < 15; i++) b.publish(report('a', i));
    await waitFor(() => got.length === 15, 'messages once reconnected');
    const reply = await (async () => {
      b.subscribe(Address.planet('echo'), (_m, d) => d.reply('still here'));
      return b.request(Address.planet('echo'), { sender: Address.sun, topic: 'ping' });
    })();
    expect(reply.payload.body).toBe('still here');
    expect(b.metrics().buffered).toBe(0);
  });

  it('closes cleanly while the server is down, abandoning what it buffered', async () => {
    const own = await startNatsServer();
    try {
      const b = await NatsBus.connect({ servers: own.url, reconnectTimeWaitMs: 50 });
      expect(b.connected).toBe(true);
      await own.stop();
      await waitFor(() => !b.connected, 'the disconnect');
      b.publish(report('a', 1));
      expect(b.metrics().buffered).toBe(1);
      const pending = b
        .request(Address.planet('x'), { sender: Address.sun, topic: 't' })
        .catch((e: unknown) => e);
      await b.close();
      expect(await pending).toBeInstanceOf(BusClosedError);
      expect(b.connected).toBe(false);
    } finally {
      await own.stop();
    }
  });

  it('fails with typed errors on a bad prefix or an unreachable server', async () => {
    await expect(NatsBus.connect({ servers: server.url, prefix: 'a.*' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    const stopped = await startNatsServer();
    const url = stopped.url;
    await stopped.stop();
    await expect(NatsBus.connect({ servers: url, connectTimeoutMs: 2_000 })).rejects.toBeInstanceOf(
      TransportError,
    );
  });
});
