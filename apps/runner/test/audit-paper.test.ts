import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { runPaper } from '../src/session/paper-run.ts';

/** The key the gateway sends; the model echoes it back (a worst case), the export must not show it. */
const KEY = 'sk-paper-audit-SECRET-aa11bb22cc33dd44';
const ANSWER = (auth: string) => ({
  plan: ['read the moons'],
  signal: 0.7,
  confidence: 0.8,
  reasons: [`echo ${auth}`],
  type: 'decision',
  forecast: 0.9,
  rationale: 'loopback sun',
  verdict: 'approve',
  scale: 1,
  summary: 'nothing',
  sentiment: 0,
  // the sun's fragility card
  fragility: 0.3,
  drivers: ['loopback'],
  watch: 'nothing',
});

describe('orrery audit on an orrery paper run (two symbols, a reachable model)', () => {
  const dir = tempDir('orrery-audit-paper-');
  let llm: LlmServer;
  beforeAll(async () => {
    llm = await startLlmServer({
      respond: (req) => {
        const auth = String(req.headers.authorization);
        const text = (req.body as { messages: { content: string }[] }).messages
          .map((m) => m.content)
          .join('\n');
        const symbols = [...text.matchAll(/^### (".*")$/gm)].map((m) => JSON.parse(m[1]!) as string);
        return {
          json:
            symbols.length === 0 ? ANSWER(auth) : Object.fromEntries(symbols.map((s) => [s, ANSWER(auth)])),
        };
      },
    });
  });
  afterAll(async () => {
    await llm.close();
    dir.remove();
  });

  it('links every fill back to its decision and LLM call ids, batched calls under both symbols, no secret', async () => {
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${llm.url}/v1` };
    const io: CliIO = {
      out: () => undefined,
      err: () => undefined,
      env,
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const loaded = parseConfig(
      {
        memory: false,
        gateway: { routing: { localBaseUrl: `${llm.url}/v1` } },
        // The planets reason on every bar, so BTC and SPY often need the model on the same bar.
        agents: { mode: { minChangedForLight: 0 } },
        run: {
          data: [{ source: 'btc' }, { source: 'spy' }],
          from: '2020-01-01',
          to: '2020-06-30',
          ledgerPath: join(dir.path, 'l.db'),
          gatewayDbPath: join(dir.path, 'g.db'),
          reportPath: join(dir.path, 'r.html'),
        },
      },
      { source: 'test', baseDir: dir.path, env },
    );
    await runPaper({ loaded, runId: 'paper-audit', progress: false }, io);

    const file = join(dir.path, 'audit.jsonl');
    const err: string[] = [];
    const code = await main(
      [
        'node',
        'orrery',
        'audit',
        'paper-audit',
        '--out',
        file,
        '--ledger',
        join(dir.path, 'l.db'),
        '--gateway-db',
        join(dir.path, 'g.db'),
      ],
      { ...io, err: (t) => err.push(t) },
    );
    expect(err.join('\n')).toMatch(/audit of run paper-audit/);
    expect(code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain(KEY);
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);

    const ledger = Ledger.open(join(dir.path, 'l.db'));
    const fills = ledger.fills('paper-audit');
    ledger.close();
    expect(fills.length).toBeGreaterThan(0);
    type Llm = { ref: string; ledgerIds: number[]; batchedWith?: string[] };
    type Line = { type: string; mode?: string; llm?: Llm[]; orders?: { fill: { id: string } | null }[] };
    const byFill = new Map<string, Line>();
    for (const l of lines as Line[])
      for (const o of l.orders ?? []) if (o.fill !== null) byFill.set(o.fill.id, l);
    for (const f of fills) {
      const line = byFill.get(f.id);
      expect(line, f.id).toBeDefined();
      // A fill of a reasoned decision names the LLM calls behind it, by gateway ledger id.
      if (line?.type === 'decision' && line.mode !== 'MONITOR_ONLY')
        expect(line.llm?.every((c) => c.ledgerIds.length > 0)).toBe(true);
    }
    // The bus is the medium: every cycle has the moons' reading; a reasoning cycle a directive to each
    // consulted planet and its report; a traded decision its broadcast.
    type Msg = { type: string; sender: string; count: number };
    type Cycle = Line & { messages: Msg[]; planets: { planet: string; status: string }[] };
    const cycles = (lines as Cycle[]).filter((l) => l.type === 'decision');
    const count = (l: Cycle, type: string, sender: string) =>
      l.messages.find((m) => m.type === type && m.sender === sender)?.count ?? 0;
    expect(cycles.length).toBeGreaterThan(50);
    for (const l of cycles)
      expect(count(l, 'moon.reading', 'moon.change'), JSON.stringify(l.messages)).toBe(1);
    const light = cycles.filter((l) => l.mode === 'LIGHT_REASONING');
    expect(light.length).toBeGreaterThan(10);
    for (const l of light) {
      // planets off the route are not in the record's reports: every report is a consulted planet's
      const consulted = l.planets.filter((p) => p.status === 'ok').map((p) => p.planet);
      expect(consulted.length).toBeGreaterThan(0);
      expect(count(l, 'sun.directive', 'sun')).toBe(consulted.length);
      for (const p of consulted) expect(count(l, 'planet.report', `planet.${p}`), p).toBe(1);
    }
    expect(cycles.some((l) => count(l, 'broadcast.decree', 'sun') === 1)).toBe(true);
    const calls = (lines as Line[]).flatMap((l) => l.llm ?? []);
    expect(calls.some((c) => c.batchedWith?.length === 2)).toBe(true);
    expect(new Set(calls.map((c) => c.ref)).size).toBeGreaterThan(0);
  }, 300_000);
});

describe('orrery audit names a planet that timed out (its directive went unanswered)', () => {
  const dir = tempDir('orrery-audit-timeout-');
  let llm: LlmServer;
  beforeAll(async () => {
    // The technical analyst's model hangs far past the planet time limit; the others answer at once.
    llm = await startLlmServer({
      respond: (req) => {
        const text = (req.body as { messages: { content: string }[] }).messages
          .map((m) => m.content)
          .join('\n');
        return text.includes('You are the technical analyst')
          ? { json: ANSWER('x'), delayMs: 20_000 }
          : { json: ANSWER('x') };
      },
    });
  });
  afterAll(async () => {
    await llm.close();
    dir.remove();
  });

  it('the cycle goes on with the other planets; the audit lists the directive, no report, timedOut', async () => {
    const env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: `${llm.url}/v1` };
    const said: string[] = [];
    const io: CliIO = {
      out: (t) => void said.push(t),
      err: (t) => void said.push(t),
      env,
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const loaded = parseConfig(
      {
        memory: false,
        gateway: { routing: { localBaseUrl: `${llm.url}/v1` } },
        agents: { mode: { minChangedForLight: 0 }, planetTimeoutMs: 400 },
        run: {
          data: [{ source: 'spy' }],
          from: '2020-01-01',
          to: '2020-02-28',
          ledgerPath: join(dir.path, 'l.db'),
          gatewayDbPath: join(dir.path, 'g.db'),
          reportPath: join(dir.path, 'r.html'),
        },
      },
      { source: 'test', baseDir: dir.path, env },
    );
    await runPaper({ loaded, runId: 'paper-timeout', progress: false }, io);
    // the summary counts the run's bus traffic: consults answered and the one that timed out
    const bus = said
      .join('\n')
      .match(
        /bus: (\d+) messages published, (\d+) delivered; consults: (\d+) sent, (\d+) answered, (\d+) timed out/,
      );
    expect(bus, said.join('\n')).not.toBeNull();
    const [published, delivered, sent, answered, late] = bus!.slice(1).map(Number) as number[];
    expect(published).toBeGreaterThan(0);
    expect(delivered).toBeGreaterThan(0);
    expect(sent).toBe(answered! + late!);
    expect(late).toBeGreaterThan(0);
    expect(answered).toBeGreaterThan(0);
    const file = join(dir.path, 'audit.jsonl');
    const code = await main(
      [
        'node',
        'orrery',
        'audit',
        'paper-timeout',
        '--out',
        file,
        '--ledger',
        join(dir.path, 'l.db'),
        '--gateway-db',
        join(dir.path, 'g.db'),
      ],
      io,
    );
    expect(code).toBe(0);
    type Msg = { type: string; sender: string; count: number };
    type Cycle = {
      type: string;
      mode: string;
      messages: Msg[];
      timedOut: string[];
      planets: { planet: string; status: string }[];
    };
    const cycles = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Cycle)
      .filter((l) => l.type === 'decision');
    const timedOut = cycles.filter((c) => c.timedOut.includes('technical'));
    expect(timedOut.length).toBeGreaterThan(0);
    for (const c of timedOut) {
      const from = (type: string, sender: string) =>
        c.messages.find((m) => m.type === type && m.sender === sender)?.count ?? 0;
      expect(from('planet.report', 'planet.technical')).toBe(0);
      const answered = c.planets.filter((p) => p.status === 'ok');
      expect(answered.length).toBeGreaterThan(0);
      // one directive per consulted planet: the answered ones and the one that timed out
      expect(from('sun.directive', 'sun')).toBe(answered.length + 1);
      for (const p of answered) expect(from('planet.report', `planet.${p.planet}`)).toBe(1);
    }
  }, 300_000);
});
