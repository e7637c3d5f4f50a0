import { writeFileSync } from 'node:fs';
import { createSolarSystem } from '@orrery/agents';
import type { BrokerSettings } from '@orrery/broker';
import { ControlStore, Ledger, PaperBroker } from '@orrery/broker';
import { loadDataSource } from '@orrery/feeds';
import { tempDir } from '@orrery/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import type { CliIO } from '../src/commands/io.ts';
import { createRunControl } from '../src/control/run-control.ts';
import { mergeSeries, type Step } from '../src/loop/steps.ts';
import { runTradingLoop } from '../src/loop/trading-loop.ts';
import { type ServeHarness, serveHarness } from './support/serve-harness.ts';

const SETTINGS: BrokerSettings = {
  initialCash: 100_000,
  feeBps: 10,
  slippageBps: 5,
  slippageRangeFraction: 0,
  allowShort: false,
  maxLeverage: 1,
  lotSize: 0,
};
const TOKEN = 'control-api-token-0123456789abcdef';
const steps: Step[] = mergeSeries([loadDataSource({ source: 'btc' })], {
  from: Date.UTC(2019, 5, 1),
  to: Date.UTC(2020, 5, 30),
});

const dir = tempDir('orrery-control-api-');
const ledgerPath = `${dir.path}/ledger.db`;
let h: ServeHarness;
beforeAll(async () => {
  const ledger = Ledger.open(ledgerPath);
  ledger.createRun(
    'traded',
    { ...SETTINGS, maxLeverage: 2 },
    { data: [{ symbol: 'BTC/USDT' }, { symbol: 'SPY' }] },
    0,
  );
  ledger.createRun('older', SETTINGS, {}, 1);
  ledger.createRun('api', SETTINGS, {}, 2);
  ledger.close();
  h = await serveHarness({ app: { token: TOKEN, control: { ledgerPath } } });
});
afterAll(async () => {
  await h.close();
  dir.remove();
});

/** Trades run `api` up to `steps[to - 1]` with operator control (deterministic agents, no LLM), resuming after its last step. */
async function trade(to: number): Promise<void> {
  const ledger = Ledger.open(ledgerPath);
  try {
    const last = ledger.getRun('api')!.lastTime;
    const broker = new PaperBroker(SETTINGS, last === undefined ? undefined : ledger.loadState('api'));
    const sys = createSolarSystem({ gateway: null });
    await runTradingLoop({
      runId: 'api',
      ledger,
      broker,
      strategy: {
        cycle: (i) => sys.cycle(i),
        warm: async (i) => {
          await sys.cycle(i);
        },
        stop: () => sys.stop(),
      },
      steps: steps.slice(0, to),
      resumeAfter: last,
      minTradeFraction: 0.01,
      control: createRunControl(new ControlStore(ledger.db), 'api'),
    });
    await sys.stop();
  } finally {
    ledger.close();
  }
}

const auth = { authorization: `Bearer ${TOKEN}` };
const post = (url: string, payload: object, headers: Record<string, string> = auth) =>
  h.app.inject({ method: 'POST', url, payload, headers });
const get = (url: string) => h.app.inject({ method: 'GET', url, headers: auth });

describe('operator control over HTTP (orrery serve), behind its bearer auth', () => {
  it('records a command for the latest run (202), applied at the next boundary; status shows it', async () => {
    expect((await post('/control/runs/latest/commands', { kind: 'pause', by: 'bob' }, {})).statusCode).toBe(
      401,
    );
    expect((await get('/control/runs/api')).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/control/runs/api' })).statusCode).toBe(401);

    const res = await post('/control/runs/latest/commands', {
      kind: 'pause',
      by: 'bob',
      reason: 'maintenance',
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({
      kind: 'pause',
      runId: 'api',
      by: 'bob',
      reason: 'maintenance',
      status: 'pending',
    });
    expect((await get('/control/runs/api')).json().pendingCommands).toHaveLength(1);

    await trade(10);
    const status = (await get('/control/runs/latest')).json();
    expect(status.run).toMatchObject({ id: 'api', lastTime: steps[9]!.time });
    expect(status.state.paused).toEqual({ by: 'bob', reason: 'maintenance', since: steps[0]!.time });
    expect(status.pendingCommands).toEqual([]);
    expect(status.recentCommands[0]).toMatchObject({
      kind: 'pause',
      status: 'applied',
      appliedTime: steps[0]!.time,
    });
  });

  it('400 names the field of a malformed command; 404 for an unknown run; 409 for an approval not pending', async () => {
    const bad = await post('/control/runs/api/commands', { kind: 'block', by: 'bob' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'ORRERY_HTTP_INVALID_BODY', path: 'symbol' });
    const force = await post('/control/runs/api/commands', {
      kind: 'force',
      symbol: 'BTC/USDT',
      target: 'all',
      by: 'b',
    });
    expect(force.json().error.path).toBe('target');
    const none = await post('/control/runs/nope/commands', { kind: 'pause', by: 'bob' });
    expect(none.statusCode).toBe(404);
    expect(none.json().error.code).toBe('ORRERY_LEDGER_RUN');
    const approve = await post('/control/runs/api/commands', { kind: 'approve', approval: 'A7', by: 'bob' });
    expect(approve.statusCode).toBe(409);
    expect(approve.json().error).toMatchObject({ code: 'ORRERY_CONTROL_APPROVAL', path: 'approval' });
  });

  it('approve-before-trade over HTTP, across a restart of the loop', async () => {
    await post('/control/runs/api/commands', { kind: 'resume', by: 'bob' });
    await post('/control/runs/api/commands', {
      kind: 'require-approval',
      threshold: 0,
      expireBars: 100,
      by: 'bob',
    });
    // Trade until the agents want something: it waits.
    let pending: { id: string; symbol: string }[] = [];
    for (let to = 20; to <= steps.length && pending.length === 0; to += 10) {
      await trade(to);
      pending = (await get('/control/runs/api/approvals?status=pending')).json();
    }
    expect(pending).toHaveLength(1);
    const a = pending[0]!;
    // The loop is stopped (a restart); the operator approves; the next run of the loop trades it.
    const ok = await post('/control/runs/api/commands', {
      kind: 'approve',
      approval: a.id,
      by: 'carol',
      reason: 'ok',
    });
    expect(ok.statusCode).toBe(202);
    const last = Ledger.open(ledgerPath);
    const resumeAt = steps.findIndex((s) => s.time === last.getRun('api')!.lastTime) + 1;
    last.close();
    await trade(resumeAt + 1);
    const approvals: { id: string }[] = (await get('/control/runs/api/approvals')).json();
    expect(approvals.find((x) => x.id === a.id)).toMatchObject({
      id: a.id,
      status: 'approved',
      decidedBy: 'carol',
      resolvedTime: steps[resumeAt]!.time,
    });
    const ledger = Ledger.open(ledgerPath);
    const order = ledger
      .orders('api')
      .find((o) => o.placedAt === steps[resumeAt]!.time && o.type === 'market');
    ledger.close();
    expect(order?.reason).toMatch(new RegExp(`approved ${a.id} by carol`));
    expect((await get('/control/runs/api/approvals?status=bogus')).statusCode).toBe(400);
  });
});

describe('POST /control/runs/:run/commands on arbitrary bodies (property)', () => {
  it('answers 202, 400 or 409 — never a 500 — and a 400 names a field', async () => {
    const kind = fc.constantFrom('pause', 'block', 'force', 'require-approval', 'approve', 'nope');
    const body = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          kind,
          by: fc.oneof(fc.string(), fc.constant('op')),
          symbol: fc.oneof(fc.string(), fc.integer()),
          target: fc.oneof(fc.double(), fc.string()),
          threshold: fc.oneof(fc.double(), fc.constant(null)),
          approval: fc.string(),
          extra: fc.string(),
        },
        { requiredKeys: ['kind'] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const res = await h.app.inject({
          method: 'POST',
          url: '/control/runs/older/commands',
          headers: { ...auth, 'content-type': 'application/json' },
          payload: JSON.stringify(payload),
        });
        expect([202, 400, 409]).toContain(res.statusCode);
        if (res.statusCode === 400) expect(res.json().error.code).toMatch(/^ORRERY_/);
      }),
      { numRuns: 150 },
    );
  });
});

describe('orrery control (the CLI, in process)', () => {
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      env: { USER: 'dana' },
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const code = await main(['node', 'orrery', 'control', '--ledger', ledgerPath, ...args], io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('issues each kind of command, by $USER unless --by, and shows the status', async () => {
    expect(await run('block', 'BTC/USDT', '--reason', 'halted')).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^run api: #\d+ block BTC\/USDT by dana \(halted\) — pending/),
    });
    expect((await run('force', 'ETH/USDT', '0.05', '--by', 'erin')).out).toMatch(
      /force ETH\/USDT 0.05 by erin/,
    );
    expect((await run('unforce', 'ETH/USDT')).code).toBe(0);
    expect((await run('unblock', 'BTC/USDT', '--run', 'api')).code).toBe(0);
    expect((await run('require-approval', 'off')).out).toMatch(/require-approval off/);
    expect((await run('require-approval', '0.1', '--expire-bars', '3')).code).toBe(0);
    expect((await run('flatten', '--json')).out).toMatch(/^\{"kind":"flatten"/);
    const json = JSON.parse((await run('status', '--json')).out);
    expect(json.pendingCommands.map((c: { kind: string }) => c.kind)).toEqual([
      'block',
      'force',
      'unforce',
      'unblock',
      'require-approval',
      'require-approval',
      'flatten',
    ]);
    const text = (await run('status')).out;
    expect(text).toMatch(/^Run api \(running, last bar /);
    expect(text).toMatch(/Pending commands \(7\):/);
    expect((await run('pause', '--run', 'older')).out).toMatch(/^run older: /);
  });

  it('refuses unknown symbols and a force beyond the risk limits, or clamps it when asked (issue 18)', async () => {
    const limits = `${dir.path}/limits.yaml`;
    writeFileSync(limits, 'agents:\n  risk:\n    maxPositionFraction: 0.2\n');
    expect(await run('block', 'NOPE', '--run', 'traded', '--config', limits)).toMatchObject({
      code: 1,
      err: 'error: run traded does not trade "NOPE" (it trades BTC/USDT, SPY)',
    });
    // 500 % of equity: beyond agents.risk.maxPositionFraction (0.2 in this config) and the leverage of 2.
    expect(await run('force', 'BTC/USDT', '5', '--run', 'traded', '--config', limits)).toMatchObject({
      code: 1,
      err: expect.stringMatching(
        /force BTC\/USDT 5 refused: 500 % of equity is beyond agents\.risk\.maxPositionFraction = 0\.2/,
      ),
    });
    expect((await run('force', 'SPY', '-0.1', '--run', 'traded', '--config', limits)).err).toMatch(
      /shorting is off for run traded/,
    );
    const clamped = await run(
      'force',
      'BTC/USDT',
      '5',
      '--clamp',
      '--run',
      'traded',
      '--config',
      limits,
      '--json',
    );
    expect(clamped.code).toBe(0);
    expect(clamped.err).toMatch(/note: force BTC\/USDT 5 clamped to 0.2: 500 % of equity is beyond/);
    expect(JSON.parse(clamped.out)).toMatchObject({ kind: 'force', symbol: 'BTC/USDT', target: 0.2 });
    expect((await run('force', 'SPY', '0.2', '--run', 'traded', '--config', limits)).code).toBe(0);
  });

  it('errors name what was wrong', async () => {
    expect(await run('approve', 'A99')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/has no approval A99/),
    });
    expect(await run('pause', '--run', 'nope')).toMatchObject({
      code: 1,
      err: expect.stringMatching(/run nope/),
    });
    // commander reports a bad argument itself (on stderr) and exits non-zero.
    expect((await run('force', 'BTC/USDT', 'lots')).code).not.toBe(0);
    expect((await run('force', 'BTC/USDT', '99')).err).toMatch(/target/);
    const missing = await main(['node', 'orrery', 'control', '--ledger', `${dir.path}/none.db`, 'status'], {
      out: () => undefined,
      err: () => undefined,
      env: {},
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    });
    expect(missing).toBe(1);
  });
});
