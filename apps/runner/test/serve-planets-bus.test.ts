import { type Bar, planetAnalysisSchema } from '@orrery/agents';
import { Address, LocalBus, ManualBusClock, type Message } from '@orrery/bus';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { analysisInput, runAnalysis } from '../src/serve/planet-analysis.ts';
import { builtinPlanetCatalog } from '../src/serve/planet-catalog.ts';
import { servePlanet } from '../src/serve/planet-service.ts';
import { parsePrometheus } from './support/prometheus-parse.ts';
import {
  PLANET_ANSWER,
  SERVE_MODELS,
  type ServeHarness,
  serveHarness,
  syntheticBars,
} from './support/serve-harness.ts';

/** Every request seen on a bus at `planet.*` (the recorder never answers). */
function recordPlanetRequests(bus: LocalBus): Message[] {
  const seen: Message[] = [];
  bus.subscribe(
    'planet.*',
    (m) => {
      if (m.type === 'request') seen.push(m);
    },
    { broadcasts: false },
  );
  return seen;
}

const bars = syntheticBars(160);

describe('serve: hosted planets answer over the in-process bus', () => {
  const bus = new LocalBus();
  const seen = recordPlanetRequests(bus);
  let h: ServeHarness;
  beforeAll(async () => {
    h = await serveHarness({ app: { bus } });
  });
  afterAll(async () => {
    await h.close();
    await bus.close();
  });
  beforeEach(() => {
    h.server.reset();
    seen.length = 0;
  });
  const post = (url: string, payload: unknown) =>
    h.app.inject({ method: 'POST', url, payload: payload as object });

  it('POST /planets/:name/analyze is a request to planet.<name> answered by its service', async () => {
    h.server.script(SERVE_MODELS.planet, [{ json: PLANET_ANSWER }]);
    const before = bus.metrics().requests;
    const res = await post('/planets/technical/analyze', { symbol: 'SPY', bars, news: ['guidance raised'] });
    expect(res.statusCode).toBe(200);
    expect(planetAnalysisSchema.parse(res.json())).toMatchObject({
      symbol: 'SPY',
      barsSeen: 160,
      report: { planet: 'technical', source: 'llm', signal: 0.4 },
    });
    // The request went over the bus, from serve, as a moon snapshot (the moons ran before the bus).
    expect(seen).toHaveLength(1);
    const request = seen[0];
    expect(request).toMatchObject({
      type: 'request',
      recipient: 'planet.technical',
      sender: 'client.serve',
      payload: { topic: 'analyze', body: { mode: 'LIGHT_REASONING', news: ['guidance raised'] } },
    });
    const body = request?.type === 'request' ? (request.payload.body as Record<string, unknown>) : {};
    expect(body.bars).toBeUndefined();
    expect(body.snapshot).toMatchObject({ symbol: 'SPY', barsSeen: 160, bar: bars.at(-1) });
    const after = bus.metrics().requests;
    expect(after.sent - before.sent).toBe(1);
    expect(after.answered - before.answered).toBe(1);
  });

  it('every hosted planet has its own subscription on the bus', () => {
    const subscribed = bus
      .metrics()
      .mailboxes.map((m) => m.pattern)
      .filter((p) => p !== 'planet.*')
      .sort();
    expect(subscribed).toEqual(['planet.execution', 'planet.risk', 'planet.sentiment', 'planet.technical']);
  });

  it('a chainId travels with the request and the service charges that chain', async () => {
    const { id } = (await post('/chains', { maxTokens: 10 })).json() as { id: string };
    const res = await post('/planets/technical/analyze', { bars, chainId: id });
    expect(res.statusCode).toBe(200);
    expect(res.json().report).toMatchObject({
      source: 'deterministic',
      llm: { outcome: 'refused', code: 'ORRERY_LLM_BUDGET_EXCEEDED' },
    });
    expect(h.server.requests).toHaveLength(0);
    expect(seen[0]).toMatchObject({ payload: { body: { chainId: id } } });
    // An unknown chain never reaches the bus.
    const unknown = await post('/planets/technical/analyze', { bars, chainId: 'nope-0000' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: 'ORRERY_HTTP_UNKNOWN_CHAIN', path: 'chainId' });
    expect(seen).toHaveLength(1);
  });

  it('a broken bar is 400 naming it, and nothing is sent', async () => {
    const bad = bars.slice(0, 5).map((b) => ({ ...b }));
    const third = bad[3];
    if (third !== undefined) third.high = third.low / 2;
    const res = await post('/planets/technical/analyze', { bars: bad });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.path).toBe('bars[3].high');
    expect(seen).toHaveLength(0);
  });

  it('the metrics count the analyses answered over the bus', async () => {
    const count = async () =>
      parsePrometheus((await h.app.inject({ method: 'GET', url: '/metrics' })).body).find(
        (s) =>
          s.name === 'orrery_planet_analyses_total' &&
          s.labels.planet === 'risk' &&
          s.labels.source === 'deterministic',
      )?.value ?? 0;
    const before = await count();
    expect((await post('/planets/risk/analyze', { bars, mode: 'MONITOR_ONLY' })).statusCode).toBe(200);
    expect(await count()).toBe(before + 1);
  });

  it('the answer is what the planet itself says for the same market (any bars, any planet)', async () => {
    const catalog = builtinPlanetCatalog();
    const market = fc
      .tuple(
        fc.array(fc.double({ min: -0.08, max: 0.08, noNaN: true }), { minLength: 1, maxLength: 120 }),
        fc.double({ min: 1, max: 10_000, noNaN: true }),
      )
      .map(([moves, start]) => {
        const out: Bar[] = [];
        let prev = start;
        for (const [i, m] of moves.entries()) {
          const close = prev * (1 + m);
          out.push({
            time: Date.UTC(2024, 0, 1) + i * 3_600_000,
            open: prev,
            high: Math.max(prev, close) * 1.004,
            low: Math.min(prev, close) * 0.996,
            close,
            volume: 1000 + 37 * (i % 11),
          });
          prev = close;
        }
        return out;
      });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('technical', 'risk', 'sentiment', 'execution'),
        market,
        async (name, series) => {
          const body = { symbol: 'X', bars: series, mode: 'MONITOR_ONLY' as const };
          const res = await post(`/planets/${name}/analyze`, body);
          expect(res.statusCode, res.body).toBe(200);
          const checked = analysisInput(body, undefined);
          if (!checked.ok) throw new Error(JSON.stringify(checked.issues));
          const planet = catalog.create(name, null);
          if (planet === undefined) throw new Error(name);
          expect(res.json()).toEqual(await runAnalysis(planet, checked.input));
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('serve: remote planets are asked over their own bus', () => {
  // A second bus plays the workers' NATS (serve-planets-nats.test.ts runs the real thing); its clock is
  // manual so a worker that never answers times out when the test says so.
  const clock = new ManualBusClock();
  const remoteBus = new LocalBus({ clock });
  const hosted = new LocalBus();
  const seenHosted = recordPlanetRequests(hosted);
  let h: ServeHarness;
  beforeAll(async () => {
    h = await serveHarness({
      app: {
        bus: hosted,
        remotePlanets: {
          bus: remoteBus,
          names: ['technical', 'sentiment'],
          timeoutMs: 4000,
          where: 'test bus',
        },
      },
    });
  });
  afterAll(async () => {
    await h.close();
    await Promise.all([remoteBus.close(), hosted.close()]);
  });
  const post = (url: string, payload: unknown) =>
    h.app.inject({ method: 'POST', url, payload: payload as object });

  it('GET /planets says which planets are remote', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/planets' });
    expect(res.json()).toEqual({
      planets: ['execution', 'risk', 'sentiment', 'technical'],
      remote: ['sentiment', 'technical'],
      transport: 'test bus',
    });
    // The remote planets are not hosted here.
    expect(hosted.metrics().mailboxes.map((m) => m.pattern)).not.toContain('planet.technical');
  });

  it('no worker: 503 ORRERY_HTTP_PLANET_UNAVAILABLE naming the command that hosts one', async () => {
    const res = await post('/planets/technical/analyze', { bars });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('ORRERY_HTTP_PLANET_UNAVAILABLE');
    expect(res.json().error.message).toMatch(/orrery planet technical --nats URL/);
    expect(seenHosted).toHaveLength(0);
  });

  it('a worker answers: its analysis is the answer, and the metrics count it', async () => {
    const worker = servePlanet({
      bus: remoteBus,
      name: 'technical',
      planets: builtinPlanetCatalog(),
      gateway: null,
    });
    try {
      const res = await post('/planets/technical/analyze', { symbol: 'SPY', bars });
      expect(res.statusCode).toBe(200);
      expect(res.json().report).toMatchObject({ planet: 'technical', source: 'deterministic' });
      expect(worker.answered).toBe(1);
      expect(h.server.requests).toHaveLength(0);
      const metrics = parsePrometheus((await h.app.inject({ method: 'GET', url: '/metrics' })).body);
      expect(
        metrics.find(
          (s) =>
            s.name === 'orrery_planet_analyses_total' &&
            s.labels.planet === 'technical' &&
            s.labels.source === 'deterministic',
        )?.value,
      ).toBe(1);
      // A budget chain cannot follow the request to another process.
      const { id } = (await post('/chains', { maxTokens: 1000 })).json() as { id: string };
      const charged = await post('/planets/technical/analyze', { bars, chainId: id });
      expect(charged.statusCode).toBe(400);
      expect(charged.json().error).toMatchObject({ code: 'ORRERY_HTTP_INVALID_BODY', path: 'chainId' });
      expect(worker.answered).toBe(1);
    } finally {
      await worker.stop();
    }
  });

  it('a worker that never answers: 504 ORRERY_HTTP_PLANET_TIMEOUT once timeoutMs has passed', async () => {
    let received!: () => void;
    const arrived = new Promise<void>((r) => {
      received = r;
    });
    const stop = remoteBus.subscribe(Address.planet('sentiment'), () => received(), { broadcasts: false });
    try {
      const pending = post('/planets/sentiment/analyze', { bars });
      await arrived;
      clock.advance(4000);
      const res = await pending;
      expect(res.statusCode).toBe(504);
      expect(res.json().error).toMatchObject({ code: 'ORRERY_HTTP_PLANET_TIMEOUT' });
      expect(res.json().error.message).toMatch(/within 4000 ms/);
    } finally {
      stop();
    }
  });

  it('a worker that refuses: 502 ORRERY_HTTP_PLANET_FAILED with its reason', async () => {
    const stop = remoteBus.subscribe(
      Address.planet('sentiment'),
      (_m, d) => d.fail('ORRERY_HTTP_INTERNAL', 'analysis failed: disk full'),
      { broadcasts: false },
    );
    try {
      const res = await post('/planets/sentiment/analyze', { bars });
      expect(res.statusCode).toBe(502);
      expect(res.json().error.code).toBe('ORRERY_HTTP_PLANET_FAILED');
      expect(res.json().error.message).toMatch(/disk full/);
    } finally {
      stop();
    }
  });

  it('a worker answering something that is not an analysis: 502', async () => {
    const stop = remoteBus.subscribe(Address.planet('sentiment'), (_m, d) => d.reply({ signal: 7 }), {
      broadcasts: false,
    });
    try {
      const res = await post('/planets/sentiment/analyze', { bars });
      expect(res.statusCode).toBe(502);
      expect(res.json().error.code).toBe('ORRERY_HTTP_PLANET_FAILED');
    } finally {
      stop();
    }
  });

  it('a hosted planet still answers in process', async () => {
    const res = await post('/planets/risk/analyze', { bars, mode: 'MONITOR_ONLY' });
    expect(res.statusCode).toBe(200);
    expect(seenHosted.map((m) => m.recipient)).toEqual(['planet.risk']);
  });
});

describe('serve: the bus of the hosted planets', () => {
  it('a default bus is the app’s: closing the app stops the services and closes it; a given one is left open', async () => {
    const given = new LocalBus();
    const h = await serveHarness({ app: { bus: given } });
    expect(given.metrics().mailboxes).toHaveLength(4);
    await h.close();
    expect(given.closed).toBe(false);
    expect(given.metrics().mailboxes).toHaveLength(0);
    await given.close();
  });
});
