import { type CycleRecord, createSolarSystem, type SolarSystem } from '@orrery/agents';
import type { BrokerSettings, Order } from '@orrery/broker';
import {
  applyCommand,
  ControlError,
  ControlStore,
  controlStateSchema,
  emptyControlState,
  Ledger,
  PaperBroker,
} from '@orrery/broker';
import { createGateway, type Gateway } from '@orrery/core';
import { loadDataSource } from '@orrery/feeds';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunControl } from '../src/control/run-control.ts';
import { RunnerErrorCode } from '../src/errors.ts';
import { mergeSeries, type Step } from '../src/loop/steps.ts';
import type { Strategy } from '../src/loop/strategy.ts';
import { runTradingLoop, type StepInfo } from '../src/loop/trading-loop.ts';

/**
 * Operator control against the real loop: the solar system on a real gateway whose model (the loopback
 * server) turns bullish and bearish every few days, so the agents trade often; commands are issued from
 * a second connection to the ledger file between steps, like another process would.
 */

const SETTINGS: BrokerSettings = {
  initialCash: 100_000,
  feeBps: 10,
  slippageBps: 5,
  slippageRangeFraction: 0,
  allowShort: false,
  maxLeverage: 1,
  lotSize: 0,
};
/**
 * Every bar is reasoned about by the planets (no MONITOR_ONLY, no sun), so every bar may trade; the
 * answer cache is off, since this model changes its mind with the calendar, which no planet reads.
 */
const AGENTS = {
  mode: { minChangedForLight: 0, fullAgentStakes: 2, fullAgentFragility: 2, lowConfidence: 0 },
  cache: { enabled: false },
};
const DAY = 86_400_000;

/** The model's view of a bar: bullish for four days, bearish for the next four. */
const signalOn = (iso: string) => (Math.floor(Date.parse(iso) / DAY / 4) % 2 === 0 ? 0.9 : -0.9);
const answerFor = (iso: string) => ({
  plan: ['read'],
  signal: signalOn(iso),
  confidence: 0.9,
  reasons: ['test'],
});

function promptText(body: unknown): string {
  const b = body as { messages?: { content?: unknown }[] };
  return (b.messages ?? []).map((m) => String(m.content)).join('\n');
}

let llm: LlmServer;
let dir: ReturnType<typeof tempDir>;
let gateway: Gateway;
beforeAll(async () => {
  llm = await startLlmServer({
    respond: (req) => {
      const text = promptText(req.body);
      const bars = [...text.matchAll(/Symbol (.+?), bar (\S+?): open/g)];
      if (!/^### "/m.test(text)) return { json: answerFor(bars[0]?.[2] ?? '1970-01-01') };
      return { json: Object.fromEntries(bars.map((m) => [m[1], answerFor(m[2]!)])) };
    },
  });
  dir = tempDir('orrery-control-');
  gateway = createGateway(
    {
      providers: {
        openai: { kind: 'openai', baseUrl: `${llm.url}/v1`, apiKey: 'sk-test-control', timeoutMs: 10_000 },
      },
      routing: { default: { prefer: [{ provider: 'openai', model: 'planet-model' }] } },
      budget: {
        maxCallsPerHour: 1_000_000,
        maxTokensPerHour: 1_000_000_000,
        reserveCalls: 0,
        reserveTokens: 0,
      },
    },
    { dbPath: `${dir.path}/gateway.db` },
  );
});
afterAll(async () => {
  await gateway.close();
  await llm.close();
  dir.remove();
});

function stepsOf(names: readonly ('btc' | 'spy')[], from: string, days: number): Step[] {
  const start = Date.parse(from);
  return mergeSeries(
    names.map((n) => loadDataSource({ source: n })),
    { from: start, to: start + days * DAY },
  );
}

function strategyOf(sys: SolarSystem): Strategy<CycleRecord> {
  return {
    cycle: (i) => sys.cycle(i),
    cycleMany: (i) => sys.cycleMany(i),
    warm: async (i) => {
      await sys.cycle(i);
    },
    stop: () => sys.stop(),
  };
}

let runs = 0;
interface Run {
  runId: string;
  ledgerPath: string;
  ledger: Ledger;
  /** A second connection to the ledger file: where the "operator" issues commands. */
  operator: ControlStore;
  steps: Step[];
  close(): void;
}

function newRun(steps: Step[]): Run {
  const runId = `run-${++runs}`;
  const ledgerPath = `${dir.path}/${runId}.db`;
  const ledger = Ledger.open(ledgerPath);
  ledger.createRun(runId, SETTINGS, {}, 0);
  const operator = ControlStore.open(ledgerPath);
  return {
    runId,
    ledgerPath,
    ledger,
    operator,
    steps,
    close: () => {
      operator.close();
      ledger.close();
    },
  };
}

/** Runs (or resumes) the loop over `steps` with operator control; `between(i)` runs after step i committed. */
async function drive(
  r: Run,
  opts: {
    between?: (i: number, info: StepInfo<CycleRecord>) => void;
    control?: boolean;
    stopAfter?: number;
  } = {},
) {
  const run = r.ledger.getRun(r.runId)!;
  const resumeAfter = run.lastTime;
  const broker = new PaperBroker(
    SETTINGS,
    resumeAfter === undefined ? undefined : r.ledger.loadState(r.runId),
  );
  const sys = createSolarSystem({ config: AGENTS, gateway });
  const stop = new AbortController();
  let i = -1;
  try {
    return await runTradingLoop({
      runId: r.runId,
      ledger: r.ledger,
      broker,
      strategy: strategyOf(sys),
      steps: r.steps,
      resumeAfter,
      minTradeFraction: 0.01,
      signal: stop.signal,
      ...(opts.control === false
        ? {}
        : { control: createRunControl(new ControlStore(r.ledger.db), r.runId) }),
      onStep: (info) => {
        if (info.warm) return;
        i = r.steps.findIndex((s) => s.time === info.time);
        opts.between?.(i, info);
        if (opts.stopAfter !== undefined && i >= opts.stopAfter) stop.abort();
      },
    });
  } finally {
    await sys.stop();
  }
}

const issue = (r: Run, body: Record<string, unknown>) =>
  r.operator.issue(r.runId, { by: 'alice', reason: 'test', ...body }, Date.now());
const placedIn = (orders: Order[], from: number, to: number) =>
  orders.filter((o) => o.placedAt >= from && o.placedAt < to);

describe('operator control at cycle boundaries', () => {
  const steps = stepsOf(['btc'], '2020-01-01', 90);

  it('pause: no order from the next boundary until resume; recorded with who, when and why', async () => {
    const base = newRun(steps);
    await drive(base, { control: false });
    const [from, to] = [steps[31]!.time, steps[51]!.time];
    expect(placedIn(base.ledger.orders(base.runId), from, to).length).toBeGreaterThan(0);
    base.close();

    const r = newRun(steps);
    await drive(r, {
      between: (i) => {
        if (i === 30) issue(r, { kind: 'pause', reason: 'news at 14:00' });
        if (i === 50) issue(r, { kind: 'resume' });
      },
    });
    const orders = r.ledger.orders(r.runId);
    expect(placedIn(orders, from, to)).toEqual([]);
    expect(placedIn(orders, to, Number.POSITIVE_INFINITY).length).toBeGreaterThan(0);
    // No decision was taken while paused (the agents only kept their indicators current).
    expect(r.ledger.cycles(r.runId).filter((c) => c.time >= from && c.time < to)).toEqual([]);
    expect(r.ledger.equityCurve(r.runId)).toHaveLength(steps.length);
    const [pause, resume] = r.operator.commands(r.runId);
    expect(pause).toMatchObject({
      kind: 'pause',
      by: 'alice',
      reason: 'news at 14:00',
      status: 'applied',
      appliedTime: from,
    });
    expect(pause?.issuedAt).toBeGreaterThan(0);
    expect(resume).toMatchObject({ kind: 'resume', status: 'applied', appliedTime: to });
    const paused = r.operator.events(r.runId).filter((e) => e.event === 'paused');
    expect(paused.map((e) => e.time)).toEqual(steps.slice(31, 51).map((s) => s.time));
    r.close();
  });

  it('flatten: every position is closed by an order at the next bar', async () => {
    const r = newRun(steps);
    let held = -1;
    await drive(r, {
      between: (i) => {
        if (held < 0 && i > 35 && Object.keys(r.ledger.loadState(r.runId).positions).length > 0) {
          held = i;
          issue(r, { kind: 'flatten', reason: 'risk off' });
          issue(r, { kind: 'pause' }); // and stay flat
        }
      },
    });
    expect(held).toBeGreaterThan(0);
    const next = steps[held + 1]!.time;
    const flatten = r.ledger.orders(r.runId).filter((o) => o.placedAt === next);
    expect(flatten.find((o) => o.type === 'market')).toMatchObject({
      side: 'sell',
      status: 'filled',
      reason: expect.stringMatching(/^operator: flatten by alice: risk off/),
    });
    // Its protective stop was cancelled with it, and the fill (at the following open) left nothing.
    expect(r.ledger.orders(r.runId).filter((o) => o.type === 'stop' && o.status === 'open')).toEqual([]);
    expect(r.ledger.loadState(r.runId).positions).toEqual({});
    expect(r.ledger.fills(r.runId).at(-1)?.time).toBe(steps[held + 2]!.time);
    r.close();
  });

  it('force holds a manual target; unforce hands the symbol back', async () => {
    const r = newRun(steps);
    await drive(r, {
      between: (i) => {
        if (i === 40) issue(r, { kind: 'force', symbol: 'BTC/USDT', target: 0.3 });
        if (i === 60) issue(r, { kind: 'unforce', symbol: 'BTC/USDT' });
      },
    });
    const orders = r.ledger.orders(r.runId);
    const forced = placedIn(orders, steps[41]!.time, steps[61]!.time).filter((o) => o.type === 'market');
    expect(forced.length).toBeGreaterThan(0);
    expect(forced.every((o) => o.reason.startsWith('operator: forced to 0.3 by alice'))).toBe(true);
    // Right after the first forced fill the position is 30 % of equity (fees and slippage aside).
    const eq = r.ledger.equityCurve(r.runId).find((p) => p.time === steps[42]!.time)!;
    const fill = r.ledger.fills(r.runId).find((f) => f.time === steps[42]!.time)!;
    expect((fill.qty * fill.price) / eq.equity).toBeCloseTo(0.3, 1);
    // While forced, no cycle record: the agents did not decide BTC.
    expect(
      r.ledger.cycles(r.runId).filter((c) => c.time >= steps[41]!.time && c.time < steps[61]!.time),
    ).toEqual([]);
    expect(
      placedIn(orders, steps[61]!.time, Number.POSITIVE_INFINITY).every(
        (o) => !o.reason.startsWith('operator'),
      ),
    ).toBe(true);
    r.close();
  });

  it('block: no trade in the blocked symbol, the others trade on (two symbols, batched cycles)', async () => {
    const two = stepsOf(['btc', 'spy'], '2020-01-01', 90);
    const r = newRun(two);
    await drive(r, {
      between: (i) => {
        if (i === 20) issue(r, { kind: 'block', symbol: 'BTC/USDT', reason: 'exchange outage' });
      },
    });
    const from = two[21]!.time;
    const orders = r.ledger.orders(r.runId);
    expect(placedIn(orders, from, Number.POSITIVE_INFINITY).filter((o) => o.symbol === 'BTC/USDT')).toEqual(
      [],
    );
    expect(
      placedIn(orders, from, Number.POSITIVE_INFINITY).filter((o) => o.symbol === 'SPY').length,
    ).toBeGreaterThan(0);
    const blocked = r.operator.events(r.runId).filter((e) => e.event === 'blocked');
    expect(blocked.length).toBe(
      two.filter((s) => s.time >= from && s.bars.some((b) => b.symbol === 'BTC/USDT')).length,
    );
    expect(r.operator.state(r.runId).blocked['BTC/USDT']).toMatchObject({
      by: 'alice',
      reason: 'exchange outage',
      since: from,
    });
    // After the block only SPY is decided; before it, BTC and SPY bars of one time were decided together,
    // each planet asking about both in one request.
    const both = two.find((s) => s.time > from && s.bars.length === 2)!;
    expect(
      r.ledger
        .cycles(r.runId)
        .filter((c) => c.time === both.time)
        .map((c) => c.symbol),
    ).toEqual(['SPY']);
    const batched = llm.requests.filter((q) => /^### "BTC\/USDT"$/m.test(promptText(q.body)));
    expect(batched.length).toBe(3 * two.filter((s) => s.time < from && s.bars.length === 2).length);
    r.close();
  });

  it('approve-before-trade: a large decision waits; approve trades it at the next bar, reject drops it, waiting too long expires it', async () => {
    const r = newRun(steps);
    const decided: string[] = [];
    await drive(r, {
      between: (i) => {
        if (i === 0) issue(r, { kind: 'require-approval', threshold: 0.01, expireBars: 2 });
        const pending = r.operator.approvals(r.runId, 'pending');
        for (const a of pending) {
          if (decided.includes(a.id)) continue;
          decided.push(a.id);
          // The first is approved, the second rejected, the rest are left to expire.
          if (decided.length === 1) issue(r, { kind: 'approve', approval: a.id, reason: 'looks fine' });
          if (decided.length === 2) issue(r, { kind: 'reject', approval: a.id, reason: 'too big' });
        }
      },
    });
    const all = r.operator.approvals(r.runId);
    expect(all.length).toBeGreaterThan(3);
    const [first, second, third] = all;
    expect(first).toMatchObject({ status: 'approved', decidedBy: 'alice', decidedReason: 'looks fine' });
    expect(second).toMatchObject({ status: 'rejected', decidedReason: 'too big' });
    expect(['expired', 'superseded']).toContain(third?.status);
    const orders = r.ledger.orders(r.runId);
    // Nothing traded until the approval; then the approved decision, at the bar after it was approved.
    const approvedAt = first!.resolvedTime!;
    expect(approvedAt).toBe(steps[steps.findIndex((s) => s.time === first!.time) + 1]!.time);
    expect(orders.filter((o) => o.placedAt < approvedAt)).toEqual([]);
    const traded = orders.find((o) => o.placedAt === approvedAt && o.type === 'market');
    expect(traded?.reason).toMatch(new RegExp(`approved ${first!.id} by alice`));
    // The rejected decision never traded: no order on its bar or the next.
    const rejectedNext = steps[steps.findIndex((s) => s.time === second!.time) + 1]!.time;
    expect(
      orders.filter(
        (o) => o.placedAt === second!.time || (o.placedAt === rejectedNext && /approved/.test(o.reason)),
      ),
    ).toEqual([]);
    // Every entry the agents wanted was held back: no order grew a position without an approval.
    for (const o of orders.filter((x) => x.type === 'market' && x.side === 'buy'))
      expect(o.reason).toMatch(/approved A\d+ by alice/);
    const expired = all.filter((a) => a.status === 'expired');
    for (const a of expired) expect(a.barsWaited).toBe(3);
    // Approving a decision that is no longer pending is refused, naming the approval.
    expect(() => issue(r, { kind: 'approve', approval: second!.id })).toThrow(ControlError);
    expect(() => issue(r, { kind: 'approve', approval: 'A999' })).toThrow(/has no approval A999/);
    try {
      issue(r, { kind: 'approve', approval: second!.id });
    } catch (err) {
      expect(err).toMatchObject({ code: RunnerErrorCode.CONTROL_APPROVAL, field: 'approval' });
    }
    r.close();
  });

  it('instructions and pending commands survive a restart; commands issued while stopped apply at the first traded bar', async () => {
    const r = newRun(steps);
    await drive(r, {
      stopAfter: 30,
      between: (i) => {
        if (i === 10) issue(r, { kind: 'block', symbol: 'BTC/USDT', reason: 'maintenance' });
        if (i === 20) issue(r, { kind: 'require-approval', threshold: 0.05 });
      },
    });
    expect(r.ledger.getRun(r.runId)?.lastTime).toBe(steps[30]!.time);
    // The process is gone. The operator unblocks meanwhile; it is pending.
    issue(r, { kind: 'unblock', symbol: 'BTC/USDT', reason: 'back' });
    r.ledger.close();
    const reopened = { ...r, ledger: Ledger.open(r.ledgerPath) };
    expect(new ControlStore(reopened.ledger.db).state(r.runId)).toMatchObject({
      blocked: { 'BTC/USDT': { reason: 'maintenance' } },
      approval: { threshold: 0.05 },
    });
    await drive(reopened);
    const unblock = reopened.operator.commands(r.runId).find((c) => c.kind === 'unblock');
    expect(unblock).toMatchObject({ status: 'applied', appliedTime: steps[31]!.time });
    const state = reopened.operator.state(r.runId);
    expect(state.blocked).toEqual({});
    expect(state.approval?.threshold).toBe(0.05);
    // Each command applied exactly once across the restart.
    expect(reopened.operator.commands(r.runId).map((c) => [c.kind, c.status])).toEqual([
      ['block', 'applied'],
      ['require-approval', 'applied'],
      ['unblock', 'applied'],
    ]);
    reopened.close();
  });

  it('refuses malformed commands, naming the field', () => {
    const r = newRun(steps);
    const bad = (body: Record<string, unknown>) => () => r.operator.issue(r.runId, body, 0);
    expect(bad({ kind: 'pause' })).toThrow(/by: must name who issues the command/);
    expect(bad({ kind: 'block', by: 'a' })).toThrow(/symbol/);
    expect(bad({ kind: 'force', symbol: 'X', target: Number.NaN, by: 'a' })).toThrow(/target/);
    expect(bad({ kind: 'explode', by: 'a' })).toThrow(ControlError);
    expect(bad({ kind: 'require-approval', threshold: -1, by: 'a' })).toThrow(/threshold/);
    try {
      bad({ kind: 'block', by: 'a' })();
    } catch (err) {
      expect(err).toMatchObject({ code: RunnerErrorCode.CONTROL_INVALID, field: 'symbol' });
    }
    r.close();
  });
});

describe('the control state follows the commands (property)', () => {
  const sym = fc.constantFrom('A', 'B/USDT', 'C');
  const who = { by: fc.constant('op'), reason: fc.string({ maxLength: 5 }) };
  const command = fc.oneof(
    fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const, 'flatten' as const), ...who }),
    fc.record({
      kind: fc.constantFrom('block' as const, 'unblock' as const, 'unforce' as const),
      symbol: sym,
      ...who,
    }),
    fc.record({
      kind: fc.constant('force' as const),
      symbol: sym,
      target: fc.double({ min: -1, max: 1, noNaN: true }),
      ...who,
    }),
    fc.record({
      kind: fc.constant('require-approval' as const),
      threshold: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
      expireBars: fc.integer({ min: 1, max: 9 }),
      ...who,
    }),
  );

  it('paused, blocked, forced and approval mode are what the last relevant command said', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (cmds) => {
        let s = emptyControlState();
        for (const [i, c] of cmds.entries())
          s = applyCommand(s, c, { time: i, held: ['A'], pending: () => false }).state;
        const last = <K extends string>(kinds: readonly K[], symbol?: string) =>
          cmds.findLast(
            (c) =>
              (kinds as readonly string[]).includes(c.kind) &&
              (symbol === undefined || ('symbol' in c && c.symbol === symbol)),
          );
        expect(s.paused !== null).toBe(last(['pause', 'resume'])?.kind === 'pause');
        for (const x of ['A', 'B/USDT', 'C']) {
          expect(x in s.blocked).toBe(last(['block', 'unblock'], x)?.kind === 'block');
          const f = last(['force', 'unforce'], x);
          // A target of -0 is held as 0 (JSON, where the state lives, has no negative zero).
          expect(s.forced[x]?.target).toBe(f?.kind === 'force' ? f.target + 0 : undefined);
        }
        const ra = last(['require-approval']);
        expect(s.approval?.threshold ?? null).toBe(ra?.kind === 'require-approval' ? ra.threshold : null);
        // A flatten marks every held position, until the loop closes it.
        expect('A' in s.flattening).toBe(cmds.some((c) => c.kind === 'flatten'));
        // The state is what the store persists: it round-trips its schema.
        expect(controlStateSchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
      }),
    );
  });
});
