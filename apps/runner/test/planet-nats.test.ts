import {
  createMoonBank,
  createSolarSystem,
  type MoonSnapshot,
  planetAnalysisSchema,
  remotePlanet,
} from '@orrery/agents';
import { Address, NatsBus, NoRespondersError, RequestTimeoutError } from '@orrery/bus';
import { createGateway, ManualClock } from '@orrery/core';
import {
  echoResponder,
  freePort,
  type LlmServer,
  type NatsServerHandle,
  startLlmServer,
  startNatsServer,
  tempDir,
} from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PLANET_ANSWER,
  SECRET_KEY,
  SERVE_MODELS,
  serveGatewayConfig,
  syntheticBars,
} from './support/serve-harness.ts';
import { type OrreryProcess, startOrreryProcess, writeServeConfig } from './support/serve-process.ts';

let nats: NatsServerHandle;
let llm: LlmServer;
let dir: { path: string; remove(): void };
let planet: OrreryProcess;
let bus: NatsBus;
const bars = syntheticBars(150);
let snapshot: MoonSnapshot;

beforeAll(async () => {
  [nats, llm] = await Promise.all([startNatsServer(), startLlmServer()]);
  dir = tempDir('orrery-planet-nats-');
  const config = writeServeConfig(dir.path, llm);
  planet = startOrreryProcess(
    dir.path,
    ['planet', 'technical', '--nats', nats.url, '--config', config, '--gateway-db', `${dir.path}/gateway.db`],
    { OPENAI_API_KEY: SECRET_KEY },
  );
  await planet.line(/orrery planet: technical answering orrery\.planet\.technical/);
  bus = await NatsBus.connect({ servers: nats.url, requestTimeoutMs: 20_000 });
  const bank = createMoonBank({ symbol: 'SPY' });
  for (const b of bars) snapshot = bank.update(b);
});
afterAll(async () => {
  planet?.child.kill('SIGKILL');
  await bus?.close();
  await nats?.stop();
  await llm?.close();
  dir?.remove();
});

describe('orrery planet: a planet in its own process on a real nats-server', () => {
  it('answers an analyze request from another process with a validated planet report', async () => {
    llm.script(SERVE_MODELS.planet, [{ json: PLANET_ANSWER }]);
    const reply = await bus.request(Address.planet('technical'), {
      sender: Address.client('test'),
      topic: 'analyze',
      body: { symbol: 'SPY', bars },
    });
    const analysis = planetAnalysisSchema.parse(reply.payload.body);
    expect(analysis).toMatchObject({
      symbol: 'SPY',
      barsSeen: 150,
      mode: 'LIGHT_REASONING',
      report: { planet: 'technical', source: 'llm', signal: 0.4, confidence: 0.65 },
    });
    expect(llm.requestsFor(SERVE_MODELS.planet)).toHaveLength(1);
    expect(llm.requestsFor(SERVE_MODELS.planet)[0]?.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
  });

  it('serves a sun-side remotePlanet transparently', async () => {
    llm.script(SERVE_MODELS.planet, [{ json: { ...PLANET_ANSWER, signal: -0.3 } }]);
    const report = await remotePlanet(bus, { name: 'technical' }).analyze(snapshot);
    expect(report).toMatchObject({ planet: 'technical', source: 'llm', signal: -0.3, status: 'ok' });
  });

  it('a sun in this process consults the remote planet through NatsBus in its reasoning cycles', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const gateway = createGateway(serveGatewayConfig(llm), { clock, env: { OPENAI_API_KEY: SECRET_KEY } });
    llm.setDefault(() => ({ json: PLANET_ANSWER }));
    const system = createSolarSystem({
      config: { planets: { enabled: ['risk'] } },
      gateway,
      clock,
      planets: [() => remotePlanet(bus, { name: 'technical', timeoutMs: 5000 })],
    });
    const seen = llm.requests.length;
    try {
      const records = [];
      for (const bar of bars) {
        records.push(
          await system.cycle({
            symbol: 'SPY',
            bar,
            portfolio: { equity: 100_000, cash: 100_000, positions: {} },
          }),
        );
      }
      const light = records.filter((r) => r.mode !== 'MONITOR_ONLY');
      expect(light.length).toBeGreaterThan(0);
      for (const r of records) expect(r.planets.map((p) => p.planet)).toEqual(['risk', 'technical']);
      const remote = light.map((r) => r.planets.find((p) => p.planet === 'technical'));
      expect(remote.every((p) => p?.status === 'ok' && p.source === 'llm')).toBe(true);
      // Only the planet process has a technical planet: its prompts reached the provider from there.
      const technicalPrompts = llm.requests
        .slice(seen)
        .filter((q) => JSON.stringify(q.body).includes('technical analyst'));
      expect(technicalPrompts.length).toBe(light.length);
    } finally {
      await system.stop();
      await gateway.close();
      llm.setDefault(echoResponder);
    }
  });

  it('killed mid-request, the request times out with the bus’s typed error; later ones find no responder', async () => {
    let release!: () => void;
    const hang = new Promise<void>((r) => {
      release = r;
    });
    llm.setDefault(async () => {
      await hang;
      return { json: PLANET_ANSWER };
    });
    try {
      const before = llm.requests.length;
      const inFlight = bus
        .request(
          Address.planet('technical'),
          { sender: Address.client('test'), topic: 'analyze', body: { bars } },
          { timeoutMs: 3000 },
        )
        .catch((e: unknown) => e);
      // The planet has the request (its LLM call is hanging): now it dies.
      while (llm.requests.length === before) await new Promise((r) => setTimeout(r, 5));
      planet.child.kill('SIGKILL');
      await planet.exited;
      const err = await inFlight;
      expect(err).toBeInstanceOf(RequestTimeoutError);
      expect(err).toMatchObject({
        code: 'ORRERY_BUS_REQUEST_TIMEOUT',
        address: 'planet.technical',
        timeoutMs: 3000,
      });

      const after = await bus
        .request(
          Address.planet('technical'),
          { sender: Address.client('test'), topic: 'describe' },
          { timeoutMs: 3000 },
        )
        .catch((e: unknown) => e);
      expect(after).toBeInstanceOf(NoRespondersError);
      expect(after).toMatchObject({ code: 'ORRERY_BUS_NO_RESPONDERS' });
      expect(planet.stdout() + planet.stderr()).not.toContain(SECRET_KEY);
    } finally {
      release();
    }
  });
});

describe('orrery planet: usage errors', () => {
  it('an unknown planet or an unreachable NATS server is a clear error', async () => {
    const unknown = startOrreryProcess(dir.path, ['planet', 'moon', '--nats', nats.url, '--no-llm'], {});
    expect(await unknown.exited).toBe(1);
    expect(unknown.stderr()).toMatch(
      /^error: unknown planet "moon" \(known: technical, risk, sentiment, execution\)/m,
    );
    const port = await freePort();
    const down = startOrreryProcess(
      dir.path,
      ['planet', 'risk', '--nats', `nats://127.0.0.1:${port}`, '--no-llm'],
      {},
    );
    expect(await down.exited).toBe(1);
    expect(down.stderr()).toMatch(
      /^error: --nats nats:\/\/127\.0\.0\.1:\d+ --prefix orrery: could not connect to NATS/m,
    );
  });
});
