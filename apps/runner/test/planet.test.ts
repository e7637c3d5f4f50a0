import {
  createMoonBank,
  createPlanet,
  type MoonSnapshot,
  planetAnalysisSchema,
  remotePlanet,
} from '@orrery/agents';
import { Address, LocalBus, RemoteError } from '@orrery/bus';
import { ExecutionMode } from '@orrery/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { builtinPlanetCatalog } from '../src/serve/planet-catalog.ts';
import { type PlanetService, servePlanet } from '../src/serve/planet-service.ts';
import {
  PLANET_ANSWER,
  SERVE_MODELS,
  type ServeHarness,
  serveHarness,
  syntheticBars,
} from './support/serve-harness.ts';

let h: ServeHarness;
let bus: LocalBus;
let service: PlanetService;
const bars = syntheticBars(150);
let snapshot: MoonSnapshot;

beforeAll(async () => {
  h = await serveHarness();
  const bank = createMoonBank({ symbol: 'SPY' });
  for (const b of bars) snapshot = bank.update(b);
});
afterAll(async () => h.close());
beforeEach(() => {
  h.server.reset();
  bus = new LocalBus({ requestTimeoutMs: 10_000 });
  service = servePlanet({ bus, name: 'technical', planets: builtinPlanetCatalog(), gateway: h.gateway });
});
afterEach(async () => {
  await service.stop();
  await bus.close();
});

const sender = Address.client('test');

describe('a planet hosted on a bus', () => {
  it('answers analyze requests with a validated planet analysis', async () => {
    h.server.script(SERVE_MODELS.planet, [{ json: PLANET_ANSWER }]);
    const reply = await bus.request(Address.planet('technical'), {
      sender,
      topic: 'analyze',
      body: { symbol: 'SPY', bars },
    });
    const analysis = planetAnalysisSchema.parse(reply.payload.body);
    expect(analysis).toMatchObject({ symbol: 'SPY', barsSeen: 150, report: { source: 'llm', signal: 0.4 } });
    expect(service.answered).toBe(1);
  });

  it('answers describe', async () => {
    const reply = await bus.request(Address.planet('technical'), { sender, topic: 'describe' });
    expect(reply.payload.body).toMatchObject({
      planet: 'technical',
      weight: 1,
      topics: ['analyze', 'describe'],
    });
  });

  it('a bad body is a RemoteError naming the path', async () => {
    const bad = bars.slice(0, 3).map((b, i) => (i === 2 ? { ...b, close: -1 } : b));
    const err = await bus
      .request(Address.planet('technical'), { sender, topic: 'analyze', body: { bars: bad } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RemoteError);
    expect(err).toMatchObject({ remoteCode: 'ORRERY_HTTP_INVALID_BODY' });
    expect((err as Error).message).toMatch(/bars\[2\]\.close/);
  });

  it('an unknown topic is a RemoteError', async () => {
    const err = await bus
      .request(Address.planet('technical'), { sender, topic: 'dance' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ remoteCode: 'ORRERY_HTTP_UNKNOWN_TOPIC' });
  });

  it('a budget chain id is refused on the bus', async () => {
    const err = await bus
      .request(Address.planet('technical'), { sender, topic: 'analyze', body: { bars, chainId: 'x' } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ remoteCode: 'ORRERY_HTTP_INVALID_BODY' });
  });

  it('refuses to host a planet it does not know', () => {
    expect(() =>
      servePlanet({ bus, name: 'astrology', planets: builtinPlanetCatalog(), gateway: null }),
    ).toThrow(/no planet "astrology"/);
  });

  it('stop() waits for the analyses in flight', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    h.server.setDefault(async () => {
      await gate;
      return { json: PLANET_ANSWER };
    });
    try {
      const pending = bus.request(Address.planet('technical'), { sender, topic: 'analyze', body: { bars } });
      while (h.server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
      let stopped = false;
      const stopping = service.stop().then(() => {
        stopped = true;
      });
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect(planetAnalysisSchema.parse((await pending).payload.body).report.source).toBe('llm');
    } finally {
      h.server.setDefault(() => ({ json: PLANET_ANSWER }));
    }
  });
});

describe('remotePlanet: a planet elsewhere, consulted like a local one', () => {
  it('gives the same deterministic report as the local planet', async () => {
    const remote = remotePlanet(bus, { name: 'technical' });
    const local = createPlanet('technical');
    const mode = ExecutionMode.MONITOR_ONLY;
    expect(await remote.analyze(snapshot, { mode })).toEqual(await local.analyze(snapshot, { mode }));
    expect(remote.assess({ snapshot })).toEqual(local.assess({ snapshot }));
    expect(h.server.requests).toHaveLength(0);
  });

  it('carries the remote planet’s LLM answer', async () => {
    h.server.script(SERVE_MODELS.planet, [{ json: PLANET_ANSWER }]);
    const report = await remotePlanet(bus, { name: 'technical', weight: 2 }).analyze(snapshot);
    expect(report).toMatchObject({ planet: 'technical', source: 'llm', weight: 2, signal: 0.4 });
  });

  it('a spent call permit asks for MONITOR_ONLY', async () => {
    const report = await remotePlanet(bus, { name: 'technical' }).analyze(snapshot, {
      allowance: {
        agent: 'planet:technical',
        limit: 1,
        used: 1,
        usage: { calls: 1, tokensIn: 0, tokensOut: 0, costUsd: 0 },
        execute: () => Promise.reject(new Error('not used')),
      },
    });
    expect(report.source).toBe('deterministic');
    expect(h.server.requests).toHaveLength(0);
  });
});
