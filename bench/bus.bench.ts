/**
 * @orrery/bus: messages/s through LocalBus against raw eventemitter3 `emit` with the same payloads
 * (target ≥ 0.5×), and NatsBus request/reply round-trip latency against raw nats.js request/reply on the
 * same nats-server (skipped, with a message, when nats-server is not installed).
 */
import { performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import { Address, createMessage, LocalBus, type Message, NatsBus, type PlanetReport } from '@orrery/bus';
import { startNatsServer } from '@orrery/testkit';
import { EventEmitter } from 'eventemitter3';
import { Bench } from 'tinybench';

const BATCH = 1_000;

function reports(): PlanetReport[] {
  return Array.from({ length: BATCH }, (_, i) =>
    createMessage('planet.report', {
      sender: Address.planet('technical'),
      recipient: Address.sun,
      payload: {
        symbol: 'BTC-USD',
        signal: ((i % 200) - 100) / 100,
        confidence: (i % 100) / 100,
        reasons: ['RSI crossed 30 upwards', `bar ${i}`],
      },
    }),
  );
}

function messagesPerSecond(bench: Bench, name: string): number {
  const r = bench.getTask(name)?.result;
  if (r === undefined || r.state !== 'completed') throw new Error(`benchmark task ${name} did not complete`);
  return BATCH / (r.period / 1000);
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

async function localThroughput(): Promise<void> {
  const messages = reports();
  let seen = 0;
  const handler = (m: Message): void => {
    if (m.priority !== 'low') seen++;
  };
  const ee = new EventEmitter();
  ee.on('sun', handler);
  const bus = new LocalBus();
  bus.subscribe(Address.sun, handler, { broadcasts: false });

  // Alternating short rounds, compared by their median: a busy neighbour slows both sides alike.
  const raws: number[] = [];
  const locals: number[] = [];
  for (let round = 0; round < 7; round++) {
    const bench = new Bench({ time: 300, warmupTime: 100 });
    bench
      .add('eventemitter3 emit', () => {
        for (const m of messages) ee.emit('sun', m);
      })
      .add('LocalBus publish', () => {
        for (const m of messages) bus.publish(m);
      });
    await bench.run();
    raws.push(messagesPerSecond(bench, 'eventemitter3 emit'));
    locals.push(messagesPerSecond(bench, 'LocalBus publish'));
  }
  await bus.close();
  if (seen === 0) throw new Error('no message was delivered');

  const raw = median(raws);
  const local = median(locals);
  const ratio = median(locals.map((l, i) => l / (raws[i] as number)));
  console.log(
    `eventemitter3 emit : ${Math.round(raw).toLocaleString('en')} msg/s (baseline, median of 7 rounds)`,
  );
  console.log(`LocalBus publish   : ${Math.round(local).toLocaleString('en')} msg/s`);
  console.log(`ratio LocalBus / eventemitter3 = ${ratio.toFixed(2)}× (target ≥ 0.50×)`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function measure(n: number, once: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 200; i++) await once(); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await once();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function natsLatency(): Promise<void> {
  let server: Awaited<ReturnType<typeof startNatsServer>>;
  try {
    server = await startNatsServer();
  } catch (err) {
    console.log(`NatsBus request/reply: skipped (${err instanceof Error ? err.message.split('.')[0] : err})`);
    return;
  }
  const enc = new TextEncoder();
  const body = { symbol: 'BTC-USD', window: 14 };
  const rawResponder = await connect({ servers: server.url });
  const rawRequester = await connect({ servers: server.url });
  const responder = await NatsBus.connect({ servers: server.url, name: 'bench-responder' });
  const requester = await NatsBus.connect({ servers: server.url, name: 'bench-requester' });
  try {
    const answer = enc.encode(JSON.stringify({ signal: 0.3, confidence: 0.8 }));
    rawResponder.subscribe('raw.planet.technical', {
      callback: (_e, m) => {
        m.respond(answer);
      },
    });
    await rawResponder.flush();
    responder.subscribe(Address.planet('technical'), (_m, d) => d.reply({ signal: 0.3, confidence: 0.8 }));
    await responder.flush();

    const payload = enc.encode(JSON.stringify(body));
    const n = 3_000;
    const raw = await measure(n, () =>
      rawRequester.request('raw.planet.technical', payload, { timeout: 5_000 }),
    );
    const bus = await measure(n, () =>
      requester.request(Address.planet('technical'), { sender: Address.sun, topic: 'analyse', body }),
    );
    const ms = (x: number) => `${(x * 1000).toFixed(0)} µs`;
    console.log(`raw nats.js request : p50 ${ms(raw.p50)}  p99 ${ms(raw.p99)} (baseline, ${n} round trips)`);
    console.log(`NatsBus request     : p50 ${ms(bus.p50)}  p99 ${ms(bus.p99)}`);
    console.log(
      `ratio NatsBus / raw nats.js latency = p50 ${(bus.p50 / raw.p50).toFixed(2)}×, p99 ${(bus.p99 / raw.p99).toFixed(2)}×`,
    );
  } finally {
    await requester.close();
    await responder.close();
    await rawRequester.close();
    await rawResponder.close();
    await server.stop();
  }
}

/** Runs both parts; called by bench/run.ts. */
export default async function run(): Promise<void> {
  await localThroughput();
  await natsLatency();
}
