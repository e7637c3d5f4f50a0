/**
 * One Orrery planet inside a plain Node `http` service — no framework, no sun, no bus.
 *
 *   node --conditions=@orrery/source --import tsx examples/embed-planet/server.ts
 *   curl -s localhost:8080/analyze -H 'content-type: application/json' \
 *        -d '{"symbol":"SPY","bars":[{"time":1704067200000,"open":100,"high":101,"low":99,"close":100.5,"volume":1000}]}'
 *
 * Without a provider it answers with the planet's deterministic analysis; with OPENAI_BASE_URL and/or
 * OPENAI_API_KEY set it makes at most one LLM call per request, through the gateway's budget and cooldowns.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Bar, createMoonBank, createPlanet, InvalidInputError, type MoonSnapshot } from '@orrery/agents';
import { createGateway } from '@orrery/core';

const env = process.env;
const model = env.PLANET_MODEL ?? 'gpt-4o-mini';
const gateway =
  env.OPENAI_BASE_URL || env.OPENAI_API_KEY
    ? createGateway({ routing: { default: { prefer: [{ provider: 'openai', model }] } } }, { env })
    : null;
const planet = createPlanet('technical', { gateway });

const server = createServer(async (req, res) => {
  if (req.method !== 'POST' || req.url !== '/analyze') return send(res, 404, { error: 'try POST /analyze' });
  try {
    const { symbol, bars } = JSON.parse(await readBody(req)) as { symbol?: string; bars?: Bar[] };
    if (!Array.isArray(bars) || bars.length === 0)
      return send(res, 400, { error: 'bars: give at least one bar' });
    const moons = createMoonBank({ symbol: symbol ?? 'UNKNOWN' }); // indicators, updated bar by bar
    let snapshot: MoonSnapshot | undefined;
    for (const bar of bars) snapshot = moons.update(bar); // throws InvalidInputError on a broken bar
    send(res, 200, await planet.analyze(snapshot as MoonSnapshot)); // at most one LLM call
  } catch (err) {
    const bad = err instanceof InvalidInputError || err instanceof SyntaxError;
    send(res, bad ? 400 : 500, { error: bad ? (err as Error).message : 'internal error' });
  }
});

server.listen(Number(env.PORT ?? 8080), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(
    `technical planet on http://127.0.0.1:${port}/analyze (${gateway ? `LLM: ${model}` : 'deterministic'})`,
  );
});
process.once('SIGTERM', () => server.close(() => void gateway?.close()));

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function readBody(req: IncomingMessage, limit = 1 << 20): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > limit) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
