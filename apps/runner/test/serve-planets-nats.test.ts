import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { planetAnalysisSchema } from '@orrery/agents';
import {
  type LlmServer,
  type NatsServerHandle,
  startLlmServer,
  startNatsServer,
  tempDir,
} from '@orrery/testkit';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheus } from './support/prometheus-parse.ts';
import { PLANET_ANSWER, SECRET_KEY, SERVE_MODELS, syntheticBars } from './support/serve-harness.ts';
import { type OrreryProcess, startOrreryProcess, writeServeConfig } from './support/serve-process.ts';

// `orrery serve` with `agents.transport: nats` and a real `orrery planet technical` worker, each with
// its own loopback LLM server, so which process made a planet's call is plain to see.
let nats: NatsServerHandle;
let serveLlm: LlmServer;
let workerLlm: LlmServer;
let dir: { path: string; remove(): void };
let worker: OrreryProcess;
let serve: OrreryProcess;
let url: string;
const bars = syntheticBars(150);

beforeAll(async () => {
  [nats, serveLlm, workerLlm] = await Promise.all([startNatsServer(), startLlmServer(), startLlmServer()]);
  dir = tempDir('orrery-serve-nats-');
  const workerDir = join(dir.path, 'worker');
  const serveDir = join(dir.path, 'serve');
  mkdirSync(workerDir);
  mkdirSync(serveDir);
  const workerConfig = writeServeConfig(workerDir, workerLlm);
  const serveConfig = writeServeConfig(serveDir, serveLlm);
  appendFileSync(
    serveConfig,
    [
      'agents:',
      '  transport:',
      '    kind: nats',
      `    url: ${nats.url}`,
      '    planets: [technical, sentiment]',
      '    timeoutMs: 20000',
      '',
    ].join('\n'),
  );
  worker = startOrreryProcess(
    workerDir,
    ['planet', 'technical', '--nats', nats.url, '--config', workerConfig, '--gateway-db', ':memory:'],
    { OPENAI_API_KEY: SECRET_KEY },
  );
  await worker.line(/orrery planet: technical answering orrery\.planet\.technical/);
  serve = startOrreryProcess(
    serveDir,
    ['serve', '--port', '0', '--gateway-db', ':memory:', '--config', serveConfig],
    { OPENAI_API_KEY: SECRET_KEY },
  );
  url = (await serve.line(/listening on (http:\/\/\S+) /))[1] as string;
  await serve.line(/planets technical, sentiment asked over nats/);
});
afterAll(async () => {
  worker?.child.kill('SIGKILL');
  serve?.child.kill('SIGKILL');
  await Promise.all([worker?.exited, serve?.exited]);
  await nats?.stop();
  await Promise.all([serveLlm?.close(), workerLlm?.close()]);
  dir?.remove();
});

/** An analyze answer: a `PlanetAnalysis` (200) or a problem body. */
interface Answer {
  status: number;
  json: { report?: Record<string, unknown>; success?: boolean; error: { code: string; message: string } };
}

async function analyze(planet: string, body: object): Promise<Answer> {
  const res = await request(`${url}/planets/${planet}/analyze`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, json: (await res.body.json()) as Answer['json'] };
}

describe('orrery serve with agents.transport nats and orrery planet workers', () => {
  it('GET /planets lists the hosted and the remote planets', async () => {
    const res = await request(`${url}/planets`);
    const body = (await res.body.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      planets: ['execution', 'risk', 'sentiment', 'technical'],
      remote: ['sentiment', 'technical'],
    });
    expect(body.transport).toContain(nats.url);
  });

  it('a remote planet’s analysis is made by the worker (its LLM call from its own gateway), not by serve', async () => {
    workerLlm.script(SERVE_MODELS.planet, [{ json: PLANET_ANSWER }]);
    const res = await analyze('technical', { symbol: 'SPY', bars });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expect(planetAnalysisSchema.parse(res.json)).toMatchObject({
      symbol: 'SPY',
      barsSeen: 150,
      report: { planet: 'technical', source: 'llm', signal: 0.4, confidence: 0.65 },
    });
    expect(workerLlm.requestsFor(SERVE_MODELS.planet)).toHaveLength(1);
    expect(serveLlm.requests).toHaveLength(0);
    const metrics = parsePrometheus(await (await request(`${url}/metrics`)).body.text());
    expect(
      metrics.find(
        (s) =>
          s.name === 'orrery_planet_analyses_total' &&
          s.labels.planet === 'technical' &&
          s.labels.source === 'llm',
      )?.value,
    ).toBe(1);
  });

  it('a hosted planet is still answered in serve’s process', async () => {
    serveLlm.script(SERVE_MODELS.planet, [{ json: PLANET_ANSWER }]);
    const before = workerLlm.requests.length;
    const res = await analyze('risk', { bars });
    expect(res.status).toBe(200);
    expect(res.json.report).toMatchObject({ planet: 'risk', source: 'llm' });
    expect(serveLlm.requestsFor(SERVE_MODELS.planet)).toHaveLength(1);
    expect(workerLlm.requests.length).toBe(before);
  });

  it('a remote planet no worker hosts answers 503 ORRERY_HTTP_PLANET_UNAVAILABLE', async () => {
    const res = await analyze('sentiment', { bars, news: ['results beat'] });
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ success: false, error: { code: 'ORRERY_HTTP_PLANET_UNAVAILABLE' } });
    expect(res.json.error.message).toMatch(/orrery planet sentiment --nats URL/);
  });

  it('once the worker is killed, its planet answers a typed error, never hangs', async () => {
    worker.child.kill('SIGKILL');
    await worker.exited;
    const res = await analyze('technical', { bars, mode: 'MONITOR_ONLY' });
    // The server drops a dead worker's subscription when it sees the socket close (503); had the request
    // reached the dying worker first, it times out (504). Either way a typed answer comes back.
    expect([503, 504]).toContain(res.status);
    expect(res.json.error.code).toBe(
      res.status === 503 ? 'ORRERY_HTTP_PLANET_UNAVAILABLE' : 'ORRERY_HTTP_PLANET_TIMEOUT',
    );
    for (const out of [serve.stdout(), serve.stderr()]) expect(out).not.toContain(SECRET_KEY);
  });
});
