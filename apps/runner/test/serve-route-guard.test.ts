import { ControlStore, Ledger } from '@orrery/broker';
import { tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeHarness, serveHarness } from './support/serve-harness.ts';

const TOKEN = 'route-guard-token-0123456789abcdef';
const SETTINGS = {
  initialCash: 100_000,
  feeBps: 10,
  slippageBps: 5,
  slippageRangeFraction: 0,
  allowShort: false,
  maxLeverage: 1,
  lotSize: 0,
};

/** Reads the app's routes from Fastify's own route table (`printRoutes`, a tree): `[method, path]`. */
function routesOf(h: ServeHarness): [string, string][] {
  const out: [string, string][] = [];
  const stack: string[] = [];
  for (const line of h.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /── (\/\S*) \(([A-Z, ]+)\)/.exec(line);
    if (m === null) continue;
    const depth = Math.floor(line.indexOf('── ') / 4);
    stack.length = depth;
    const path = (stack[depth - 1] ?? '') + m[1]!;
    stack.push(path);
    for (const method of m[2]!.split(', ')) if (method !== 'HEAD') out.push([method, path]);
  }
  return out;
}

/** A concrete URL for a route template (`:run` → the run `r1`, other parameters → `x`). */
const urlOf = (path: string) => path.replace(':run', 'r1').replace(/:[a-zA-Z]+/g, 'x');

describe('issue 18 item 2: with a token every route but /healthz needs it; nothing changes state on GET', () => {
  const dir = tempDir('orrery-route-guard-');
  const ledgerPath = `${dir.path}/ledger.db`;
  let h: ServeHarness;
  beforeAll(async () => {
    const ledger = Ledger.open(ledgerPath);
    ledger.createRun('r1', SETTINGS, {}, 0);
    ledger.close();
    h = await serveHarness({ app: { token: TOKEN, control: { ledgerPath } } });
  });
  afterAll(async () => {
    await h.close();
    dir.remove();
  });

  it('every route, /control and the compatible ones included, answers 401 without the token', async () => {
    const routes = routesOf(h);
    // the table has what this test is about (a route renamed away would make the test pass vacuously)
    expect(routes).toContainEqual(['POST', '/control/runs/:run/commands']);
    expect(routes).toContainEqual(['GET', '/control/runs/:run']);
    expect(routes).toContainEqual(['POST', '/v1/chat/completions']);
    for (const [method, path] of routes) {
      if (path === '/healthz') continue;
      const res = await h.app.inject({
        method: method as 'GET',
        url: urlOf(path),
        ...(method === 'GET' ? {} : { payload: {} }),
      });
      expect(res.statusCode, `${method} ${path}`).toBe(401);
    }
    expect(h.server.requests).toHaveLength(0);
  });

  it('no path that changes state answers GET: GET on each is 404 and records nothing', async () => {
    const routes = routesOf(h);
    const gets = new Set(routes.filter(([m]) => m === 'GET').map(([, p]) => p));
    // The only paths with both a read and a write are reads of the thing itself (a chain's report).
    const readAndWrite = routes.filter(([m, p]) => m !== 'GET' && gets.has(p)).map(([m, p]) => `${m} ${p}`);
    expect(readAndWrite).toEqual(['DELETE /chains/:id']);
    const auth = { authorization: `Bearer ${TOKEN}` };
    for (const [method, path] of routes) {
      if (method === 'GET' || gets.has(path)) continue;
      const res = await h.app.inject({ method: 'GET', url: urlOf(path), headers: auth });
      expect(res.statusCode, `GET ${path}`).toBe(404);
    }
    const store = ControlStore.open(ledgerPath);
    try {
      expect(store.commands('r1')).toEqual([]);
    } finally {
      store.close();
    }
    expect(h.server.requests).toHaveLength(0);
    // With the token, the control routes work.
    const ok = await h.app.inject({ method: 'GET', url: '/control/runs/r1', headers: auth });
    expect(ok.statusCode).toBe(200);
  });
});
