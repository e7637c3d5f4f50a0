import { Address, InvalidMessageError, type Json, LocalBus, NoRespondersError } from '@orrery/bus';
import { ExecutionMode } from '@orrery/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createMoonBank,
  createPlanet,
  type MoonSnapshot,
  PlanetTopic,
  parseSolarSystemConfig,
  remotePlanet,
  remotePlanetSet,
} from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';

let bus: LocalBus;
let snapshot: MoonSnapshot;

beforeEach(() => {
  bus = new LocalBus();
  const bank = createMoonBank({ symbol: 'SPY' });
  for (const bar of referenceBars().slice(0, 120)) snapshot = bank.update(bar);
});
afterEach(async () => {
  await bus.close();
});

/** A worker for `planet.<name>` on the bus: records each request's topic and body, answers `answer(body)`. */
function worker(name: string, answer: (body: Record<string, unknown>) => unknown) {
  const seen: { topic: string; body: Record<string, unknown> }[] = [];
  bus.subscribe(Address.planet(name), (message, delivery) => {
    if (message.type !== 'request' || !delivery.isRequest) return;
    const body = message.payload.body as Record<string, unknown>;
    seen.push({ topic: message.payload.topic, body });
    delivery.reply(answer(body) as Json);
  });
  return seen;
}

const analysis = (body: Record<string, unknown>, weight = 1) => {
  const s = body.snapshot as { symbol: string; bar: { time: number }; barsSeen: number };
  return {
    symbol: s.symbol,
    barTime: s.bar.time,
    barsSeen: s.barsSeen,
    mode: body.mode,
    report: {
      planet: 'technical',
      status: 'ok',
      source: 'llm',
      weight,
      signal: 0.4,
      confidence: 0.7,
      reasons: ['remote'],
    },
  };
};

describe('remotePlanet: a planet elsewhere, consulted over the bus like a local one', () => {
  it('sends the snapshot and mode to planet.<name> (topic analyze) and returns the remote report', async () => {
    const seen = worker('technical', (b) => analysis(b));
    const remote = remotePlanet(bus, { name: 'technical', weight: 2 });
    const report = await remote.analyze(snapshot, { news: ['Fed meets'] });
    expect(report).toMatchObject({ planet: 'technical', source: 'llm', weight: 2, signal: 0.4 });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.topic).toBe(PlanetTopic.ANALYZE);
    expect(seen[0]!.body).toMatchObject({
      mode: ExecutionMode.LIGHT_REASONING,
      news: ['Fed meets'],
      snapshot: { symbol: 'SPY', bar: snapshot.bar, barsSeen: snapshot.barsSeen },
    });
    // Without a local weight the remote report's own stands; assess stays in-process, the built-in's.
    expect((await remotePlanet(bus, { name: 'technical' }).analyze(snapshot)).weight).toBe(1);
    expect(remote.assess({ snapshot })).toEqual(createPlanet('technical').assess({ snapshot }));
  });

  it('a spent call permit asks the remote planet for MONITOR_ONLY', async () => {
    const seen = worker('technical', (b) => analysis(b));
    await remotePlanet(bus, { name: 'technical' }).analyze(snapshot, {
      allowance: {
        agent: 'planet:technical',
        limit: 1,
        used: 1,
        usage: { calls: 1, tokensIn: 0, tokensOut: 0, costUsd: 0 },
        execute: () => Promise.reject(new Error('not used')),
      },
    });
    expect(seen[0]!.body.mode).toBe(ExecutionMode.MONITOR_ONLY);
  });

  it('an answer that is not a planet analysis is an InvalidMessageError naming the address', async () => {
    worker('technical', () => ({ report: { planet: 'technical', signal: 7 } }));
    const err = await remotePlanet(bus, { name: 'technical' })
      .analyze(snapshot)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidMessageError);
    expect((err as Error).message).toContain('planet.technical');
  });

  it('no worker: rejects, or with timeoutAsReport answers a timeout report the cycle can go on with', async () => {
    await expect(remotePlanet(bus, { name: 'technical' }).analyze(snapshot)).rejects.toBeInstanceOf(
      NoRespondersError,
    );
    const report = await remotePlanet(bus, { name: 'technical', timeoutAsReport: true }).analyze(snapshot);
    expect(report).toMatchObject({ planet: 'technical', status: 'timeout', signal: 0, confidence: 0 });
    expect(report.error).toContain('planet.technical');
  });

  it('a planet with no built-in of its name abstains in assess', () => {
    const remote = remotePlanet(bus, { name: 'oracle' });
    expect(remote.moons).toEqual([]);
    expect(remote.assess({ snapshot })).toMatchObject({ signal: 0, confidence: 0 });
  });
});

describe('remotePlanetSet: the named planets consulted over the bus, the others built here', () => {
  it('takes the remote planets out of planets.enabled and gives each its configured weight', async () => {
    const agents = parseSolarSystemConfig({
      planets: { enabled: ['technical', 'risk', 'sentiment'], weights: { technical: 3 } },
    });
    const set = remotePlanetSet(bus, agents, ['technical', 'sentiment'], { timeoutMs: 1000 });
    expect(set.agents.planets.enabled).toEqual(['risk']);
    expect(agents.planets.enabled).toEqual(['technical', 'risk', 'sentiment']);
    const planets = set.planets.map((make) => make());
    expect(planets.map((p) => [p.name, p.weight])).toEqual([
      ['technical', 3],
      ['sentiment', 1],
    ]);
    // No worker is up: each answers `timeout` for the cycle instead of failing it.
    expect((await planets[0]!.analyze(snapshot)).status).toBe('timeout');
    worker('technical', (b) => analysis(b, 1));
    expect(await planets[0]!.analyze(snapshot)).toMatchObject({ status: 'ok', weight: 3 });
  });
});
