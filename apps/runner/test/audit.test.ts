import { readFileSync } from 'node:fs';
import { type CycleRecord, createSolarSystem } from '@orrery/agents';
import type { BrokerSettings } from '@orrery/broker';
import { ControlStore, Ledger, PaperBroker } from '@orrery/broker';
import { createGateway, type Gateway } from '@orrery/core';
import { loadDataSource } from '@orrery/feeds';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudit } from '../src/audit/export.ts';
import { AuditRecorder } from '../src/audit/llm-recorder.ts';
import { Redactor } from '../src/audit/redact.ts';
import { type AuditLine, auditTrail } from '../src/audit/trail.ts';
import { main } from '../src/cli.ts';
import { createRunControl } from '../src/control/run-control.ts';
import { mergeSeries } from '../src/loop/steps.ts';
import { runTradingLoop } from '../src/loop/trading-loop.ts';

/** A provider key in the environment: it must never appear in an export. */
const KEY = 'sk-audit-SECRET-9f8e7d6c5b4a3210fedc';
/** Another secret the operator's environment holds, pasted by mistake into a command's reason. */
const TOKEN = 'orrery-token-0123456789abcdef-SECRET';
const ENV = { OPENAI_API_KEY: KEY, ORRERY_TOKEN: TOKEN, HOME: '/home/op' };
const SETTINGS: BrokerSettings = {
  initialCash: 100_000,
  feeBps: 10,
  slippageBps: 5,
  slippageRangeFraction: 0,
  allowShort: false,
  maxLeverage: 1,
  lotSize: 0,
};

/** Satisfies every schema the agents ask (planet, sun, critic) — and leaks the credential it was sent. */
const answer = (auth: string) => ({
  plan: ['read the moons'],
  signal: 0.8,
  confidence: 0.8,
  reasons: [`authorised with ${auth}`],
  type: 'decision',
  forecast: 0.9,
  rationale: `the request carried ${auth}`,
  verdict: 'approve',
  scale: 1,
  summary: 'quiet',
  sentiment: 0,
  // the sun's fragility card
  fragility: 0.3,
  drivers: ['loopback'],
  watch: 'nothing',
});

let llm: LlmServer;
let gateway: Gateway;
const dir = tempDir('orrery-audit-');
const ledgerPath = `${dir.path}/ledger.db`;
const gatewayPath = `${dir.path}/gateway.db`;
const RUN = 'audited';
const steps = mergeSeries([loadDataSource({ source: 'btc' }), loadDataSource({ source: 'spy' })], {
  from: Date.UTC(2020, 0, 1),
  to: Date.UTC(2020, 2, 31),
});

beforeAll(async () => {
  llm = await startLlmServer({
    respond: (req) => {
      const auth = String(req.headers.authorization);
      const text = (req.body as { messages: { content: string }[] }).messages
        .map((m) => m.content)
        .join('\n');
      const symbols = [...text.matchAll(/^### (".*")$/gm)].map((m) => JSON.parse(m[1]!) as string);
      return symbols.length === 0
        ? { json: answer(auth) }
        : { json: Object.fromEntries(symbols.map((s) => [s, answer(auth)])) };
    },
  });
  gateway = createGateway(
    {
      providers: { openai: { kind: 'openai', baseUrl: `${llm.url}/v1`, timeoutMs: 10_000 } },
      routing: { default: { prefer: [{ provider: 'openai', model: 'm' }] } },
      prices: { 'openai/m': { inputPer1k: 0.001, outputPer1k: 0.002 } },
      budget: {
        maxCallsPerHour: 1_000_000,
        maxTokensPerHour: 1_000_000_000,
        reserveCalls: 0,
        reserveTokens: 0,
      },
    },
    { dbPath: gatewayPath, env: ENV },
  );
  const ledger = Ledger.open(ledgerPath);
  ledger.createRun(RUN, SETTINGS, { data: 'btc+spy' }, 0);
  const operator = ControlStore.open(ledgerPath);
  const recorder = new AuditRecorder(ledger.db, RUN, Redactor.from(ENV, gateway.config));
  const sys = createSolarSystem({
    config: { mode: { minChangedForLight: 0 } },
    gateway: gateway.use(recorder.middleware()),
  });
  await runTradingLoop<CycleRecord>({
    runId: RUN,
    ledger,
    broker: new PaperBroker(SETTINGS),
    strategy: { cycle: (i) => sys.cycle(i), cycleMany: (i) => sys.cycleMany(i), stop: () => sys.stop() },
    steps,
    minTradeFraction: 0.01,
    control: createRunControl(new ControlStore(ledger.db), RUN),
    onStep: ({ time }) => {
      if (time === steps[50]!.time)
        operator.issue(RUN, { kind: 'flatten', by: 'alice', reason: `rotating ${TOKEN}` }, Date.now());
    },
  });
  await sys.stop();
  operator.close();
  ledger.close();
});
afterAll(async () => {
  await gateway.close();
  await llm.close();
  dir.remove();
});

function exported(): { text: string; lines: AuditLine[] } {
  const ledger = Ledger.open(ledgerPath);
  try {
    const out: string[] = [];
    writeAudit({ ledger, gatewayLedger: gateway.ledger }, RUN, Redactor.from(ENV, gateway.config), (l) =>
      out.push(l),
    );
    const text = out.join('');
    return { text, lines: out.map((l) => JSON.parse(l) as AuditLine) };
  } finally {
    ledger.close();
  }
}

type Llm = {
  call: number;
  ref: string;
  ledgerIds: number[];
  agent: string;
  batchedWith?: string[];
  answer: string;
  cached: boolean;
};
type Placed = { id: string; fill: { id: string } | null };

describe('orrery audit: every decision traceable end to end', () => {
  it('links every fill back to its decision, and every decision to its LLM calls and their ledger rows', () => {
    const { lines } = exported();
    expect(lines[0]).toMatchObject({ type: 'run', run: RUN, status: 'running' });
    const ledger = Ledger.open(ledgerPath);
    const fills = ledger.fills(RUN);
    const cycles = ledger.cycles(RUN);
    ledger.close();
    expect(fills.length).toBeGreaterThan(2);

    // Each fill appears once, under the line of the decision (or the operator's) that placed its order.
    const seen = lines.flatMap((l) =>
      ((l.orders as Placed[] | undefined) ?? []).filter((o) => o.fill !== null).map((o) => o.fill!.id),
    );
    expect(seen.sort()).toEqual(fills.map((f) => f.id).sort());

    const decisions = lines.filter((l) => l.type === 'decision');
    expect(decisions).toHaveLength(cycles.length);
    for (const d of decisions) {
      expect(d.inputs).toMatchObject({
        bar: { time: d.time },
        readings: { rsi: expect.any(Object) },
        portfolio: { equity: expect.any(Number) },
      });
      expect(d).toHaveProperty('clamps');
      expect(d).toHaveProperty('modeReason');
      const llmCalls = d.llm as Llm[];
      if (d.mode === 'MONITOR_ONLY') continue;
      expect(llmCalls.length, `${d.symbol} ${d.at}`).toBeGreaterThan(0);
      for (const c of llmCalls) {
        expect(c.ledgerIds.length).toBeGreaterThan(0);
        for (const id of c.ledgerIds) {
          const row = gateway.ledger.since(0).find((e) => e.id === id);
          expect(row).toMatchObject({ ref: c.ref, agent: c.agent });
        }
      }
    }
    // The two symbols' planets were asked together on shared bars: the call shows under both.
    const batched = decisions.flatMap((d) => (d.llm as Llm[]).filter((c) => c.batchedWith !== undefined));
    expect(batched.length).toBeGreaterThan(0);
    expect(batched[0]?.batchedWith).toEqual(['BTC/USDT', 'SPY']);
    // FULL_AGENT cycles show the sun's reasoning and the critic's verdict.
    const full = decisions.find((d) => d.mode === 'FULL_AGENT' && d.critic !== null);
    expect(full?.critic).toMatchObject({ verdict: 'approve' });
    expect(((full?.llm ?? []) as Llm[]).map((c) => c.agent)).toEqual(
      expect.arrayContaining(['sun', 'critic']),
    );
    // Every request the model server answered is in the trail, under some decision; so is every
    // answer the agents' cache reused (a ledger cache hit, no request).
    const calls = decisions.flatMap((d) => d.llm as Llm[]);
    const ids = new Set(calls.filter((c) => !c.cached).map((c) => c.call));
    expect(ids.size).toBe(llm.requests.length);
    const hits = new Set(calls.filter((c) => c.cached).map((c) => c.call));
    expect(hits.size).toBe(gateway.ledger.since(0).filter((e) => e.outcome === 'cache_hit').length);
    expect(hits.size).toBeGreaterThan(0);
    // The operator's flatten has its own lines, with who and why.
    expect(lines.find((l) => l.type === 'command')).toMatchObject({
      kind: 'flatten',
      by: 'alice',
      status: 'applied',
    });
    expect(
      lines.some((l) => (l.control as { event: string }[] | undefined)?.some((e) => e.event === 'flatten')),
    ).toBe(true);
  });

  it('redacts secrets: the key in the environment and the token never appear, whatever carried them', () => {
    const { text, lines } = exported();
    // The model echoed the Authorization header it was sent; the operator pasted a token in a reason.
    expect(llm.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(text).not.toContain(KEY);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toMatch(/sk-audit/);
    const answers = lines.flatMap((l) => ((l.llm as Llm[] | undefined) ?? []).map((c) => c.answer));
    expect(answers.some((a) => a.includes('Bearer [redacted]'))).toBe(true);
    expect(lines.find((l) => l.type === 'command')?.reason).toBe('rotating [redacted]');
    // Redacted before it was even stored.
    const ledger = Ledger.open(ledgerPath);
    expect(JSON.stringify(AuditRecorder.calls(ledger.db, RUN))).not.toContain(KEY);
    ledger.close();
  });

  it('orrery audit RUN --out FILE writes the same trail; stdout without --out', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      out: (t: string) => out.push(t),
      err: (t: string) => err.push(t),
      env: ENV,
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const file = `${dir.path}/audit.jsonl`;
    const args = ['--ledger', ledgerPath, '--gateway-db', gatewayPath];
    expect(await main(['node', 'orrery', 'audit', RUN, '--out', file, ...args], io)).toBe(0);
    const written = readFileSync(file, 'utf8');
    expect(written).not.toContain(KEY);
    expect(written.trimEnd().split('\n')).toHaveLength(exported().lines.length);
    expect(err.join('\n')).toMatch(new RegExp(`audit of run ${RUN}: \\d+ lines \\(\\d+ decisions`));
    expect(await main(['node', 'orrery', 'audit', ...args], io)).toBe(0); // the latest run, to stdout
    expect(out.join('\n')).toBe(written.trimEnd());
    expect(await main(['node', 'orrery', 'audit', 'nope', ...args], io)).toBe(1);
  });

  it('the trail is also readable without the gateway file (no ledger ids then)', () => {
    const ledger = Ledger.open(ledgerPath);
    const lines = [...auditTrail({ ledger, gatewayLedger: null }, RUN)];
    ledger.close();
    const calls = lines.flatMap((l) => (l.llm as Llm[] | undefined) ?? []);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.ledgerIds.length === 0)).toBe(true);
  });
});

describe('Redactor', () => {
  it('removes exact secrets and credential shapes, in keys and values', () => {
    const r = Redactor.from({ MY_API_KEY: 'abcdefgh12345678', PATH: '/usr/bin', SHORT_TOKEN: 'abc' });
    expect(r.text('key abcdefgh12345678 path /usr/bin abc')).toBe('key [redacted] path /usr/bin abc');
    expect(r.text('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.x.y')).toBe('Authorization: Bearer [redacted]');
    expect(r.text('use sk-proj-AAAAAAAAAAAAAAAAAAAAAA please')).toBe('use [redacted] please');
    expect(r.text('{"api_key":"zzzzzzzzzzzz"}')).toBe('{"api_key":"[redacted]"}');
    expect(r.value({ abcdefgh12345678: ['x abcdefgh12345678'] })).toEqual({ '[redacted]': ['x [redacted]'] });
  });
});
