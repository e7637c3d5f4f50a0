import { ExecutionMode, LLMResponseFormatError } from '@orrery/core';
import type { LlmRecordedRequest, LlmReply, LlmServer } from '@orrery/testkit';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allocateInts } from '../src/batching/allocate.ts';
import { combineRequests, splitAnswer } from '../src/batching/batch-prompt.ts';
import {
  type Bar,
  type CycleInput,
  createSolarSystem,
  formatCallRef,
  InvalidInputError,
  parseCallRef,
  type SolarSystem,
  type SolarSystemConfigInput,
} from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';
import { ANSWERS, FLAT } from './helpers/system.ts';

const bars = referenceBars();
/** 35 bars of warm-up (MONITOR_ONLY), then a bar on which every feature counts as changed. */
const WARM = 35;
/** Planets decide (LIGHT_REASONING) whenever something changed; the sun only on a critical update. */
const LIGHT: SolarSystemConfigInput = {
  mode: { fullAgentStakes: 2, fullAgentFragility: 2, lowConfidence: 0 },
};
const NEWS = ['Shares rally on strong earnings', 'Analysts upgrade the outlook'];

/** Symbol k trades the reference series scaled by (1 + k/20): same shape, different prices. */
const symbols = (n: number) => Array.from({ length: n }, (_, k) => `SYM${k}/USD`);
const scaled = (bar: Bar, k: number): Bar => {
  const f = 1 + k / 20;
  return { ...bar, open: bar.open * f, high: bar.high * f, low: bar.low * f, close: bar.close * f };
};
const step = (names: readonly string[], i: number, news?: readonly string[]): CycleInput[] =>
  names.map((symbol, k) => ({
    symbol,
    bar: scaled(bars[i]!, k),
    portfolio: FLAT,
    ...(news === undefined ? {} : { news }),
  }));

/** The symbols a batched prompt covers, from its `### "SYMBOL"` section headings (none: a plain prompt). */
function sectionsOf(req: LlmRecordedRequest): string[] {
  const text = promptText(req.body);
  return [...text.matchAll(/^### (".*")$/gm)].map((m) => JSON.parse(m[1]!) as string);
}

/** The planet a request is for, read from its system prompt. */
function planetOf(req: LlmRecordedRequest): string {
  const text = promptText(req.body);
  if (/technical analyst/.test(text)) return 'technical';
  if (/risk/.test(text.split('\n')[0] ?? '')) return 'risk';
  if (/execution trader/.test(text)) return 'execution';
  if (/Summarise the news/.test(text)) return 'sentiment';
  return 'other';
}

/**
 * Answers every model with its role's valid answer; a batched request gets one part per symbol it asks
 * about, and `part(symbol, answer)` may replace or drop (undefined) a symbol's part.
 */
function answerBatches(
  server: LlmServer,
  part: (symbol: string, valid: unknown) => unknown = (_, v) => v,
): void {
  server.setDefault((req): LlmReply => {
    const valid =
      req.model === MODELS.local
        ? ANSWERS.sentiment
        : req.model === MODELS.planet
          ? ANSWERS.planet
          : req.model === MODELS.critic
            ? ANSWERS.critic
            : ANSWERS.sun;
    const wanted = sectionsOf(req);
    if (wanted.length === 0) return { json: valid };
    const json: Record<string, unknown> = {};
    for (const s of wanted) {
      const v = part(s, valid);
      if (v !== undefined) json[s] = v;
    }
    return { json };
  });
}

let h: LlmHarness;
beforeAll(async () => {
  h = await llmHarness();
});
afterAll(async () => h.close());
beforeEach(() => {
  h.server.reset();
  answerBatches(h.server);
});

/** A system on the harness gateway whose `names` have seen the warm-up bars together (no LLM call). */
async function warmed(
  names: readonly string[],
  config: SolarSystemConfigInput = LIGHT,
): Promise<SolarSystem> {
  const sys = createSolarSystem({ config, gateway: h.gateway, clock: h.clock });
  for (let i = 0; i < WARM; i++) {
    const records = await sys.cycleMany(step(names, i));
    expect(records.every((r) => r.mode === ExecutionMode.MONITOR_ONLY)).toBe(true);
  }
  expect(h.server.requests).toHaveLength(0);
  return sys;
}

describe('cycleMany batches planet calls across symbols on the same bar', () => {
  it('20 symbols needing LIGHT_REASONING: exactly one LLM request per planet for the cycle', async () => {
    const names = symbols(20);
    const sys = await warmed(names);
    const callsBefore = h.gateway.budgetStatus().callsUsed;
    const records = await sys.cycleMany(step(names, WARM, NEWS));
    await sys.stop();

    expect(records.map((r) => r.symbol)).toEqual(names);
    // Each record carries what it decided from, for the audit trail.
    expect(records[3]?.inputs?.bar).toEqual(scaled(bars[WARM]!, 3));
    expect(records[3]?.inputs?.readings.rsi.rsi).toBeGreaterThan(0);
    expect(records.every((r) => r.mode === ExecutionMode.LIGHT_REASONING)).toBe(true);
    // technical, risk and execution on the planet model; sentiment's summary on the local model.
    const byPlanet = new Map<string, LlmRecordedRequest[]>();
    for (const q of h.server.requests) byPlanet.set(planetOf(q), [...(byPlanet.get(planetOf(q)) ?? []), q]);
    expect([...byPlanet.keys()].sort()).toEqual(['execution', 'risk', 'sentiment', 'technical']);
    for (const [planet, reqs] of byPlanet) {
      expect(reqs, planet).toHaveLength(1);
      expect(sectionsOf(reqs[0]!)).toEqual(names);
    }
    // Every planet of every symbol took its answer from the model.
    for (const r of records) {
      expect(r.planets.map((p) => [p.planet, p.source, p.llm?.outcome])).toEqual([
        ['execution', 'llm', 'answered'],
        ['risk', 'llm', 'answered'],
        ['sentiment', 'llm', 'answered'],
        ['technical', 'llm', 'answered'],
      ]);
      expect(r.planets.find((p) => p.planet === 'technical')?.signal).toBeCloseTo(ANSWERS.planet.signal, 12);
    }
    // One call per planet against the budget; the records share the calls out (1/20 each) and add up.
    expect(h.gateway.budgetStatus().callsUsed - callsBefore).toBe(4);
    for (const r of records) expect(r.calls).toBeCloseTo(4 / 20, 12);
    expect(records.reduce((a, r) => a + r.calls, 0)).toBeCloseTo(4, 9);
    // Tokens are shared out exactly: the records add up to what the ledger says the four calls used.
    const rows = h.gateway.ledger.since(0).filter((e) => e.outcome === 'ok');
    expect(rows).toHaveLength(4);
    expect(records.reduce((a, r) => a + r.tokensIn, 0)).toBe(rows.reduce((a, e) => a + e.tokensIn, 0));
    expect(records.reduce((a, r) => a + r.tokensOut, 0)).toBe(rows.reduce((a, e) => a + e.tokensOut, 0));
    expect(records.every((r) => r.tokensIn > 0 && r.tokensOut > 0)).toBe(true);
    expect(records.reduce((a, r) => a + r.costUsd, 0)).toBeCloseTo(
      rows.reduce((a, e) => a + e.costUsd, 0),
      12,
    );
    // Each ledger row names the cycle it served: the bar time, the planet and the 20 symbols.
    for (const e of rows) {
      const ref = parseCallRef(e.ref);
      expect(ref).toMatchObject({ time: bars[WARM]!.time, seq: 1, symbols: names });
      expect(ref?.agent).toBe(e.agent);
    }
  });

  it('a partly invalid batched answer degrades only the affected symbols', async () => {
    const names = symbols(5);
    const sys = await warmed(names);
    answerBatches(h.server, (symbol, valid) => {
      if (symbol === 'SYM2/USD') return { ...(valid as object), signal: 7, sentiment: 7 }; // out of range
      if (symbol === 'SYM3/USD') return undefined; // missing
      return valid;
    });
    const records = await sys.cycleMany(step(names, WARM, NEWS));
    await sys.stop();

    expect(h.server.requests).toHaveLength(4);
    for (const r of records) {
      const broken = r.symbol === 'SYM2/USD' || r.symbol === 'SYM3/USD';
      for (const p of r.planets) {
        expect(p.source, `${r.symbol} ${p.planet}`).toBe(broken ? 'deterministic' : 'llm');
        expect(p.llm?.outcome).toBe(broken ? 'invalid' : 'answered');
      }
      // An invalid part still used its share of the call.
      expect(r.calls).toBeCloseTo(4 / 5, 12);
    }
    const sym2 = records.find((r) => r.symbol === 'SYM2/USD')!.planets.find((p) => p.planet === 'technical');
    expect(sym2?.llm?.detail).toMatch(/part for SYM2\/USD does not match the schema — signal/);
    const sym3 = records.find((r) => r.symbol === 'SYM3/USD')!.planets.find((p) => p.planet === 'risk');
    expect(sym3?.llm?.detail).toMatch(/no part for SYM3\/USD/);
  });

  it('an answer that is not JSON at all degrades every symbol of the batch, and only that planet', async () => {
    const names = symbols(3);
    const sys = await warmed(names);
    h.server.script(MODELS.local, [{ malformed: true }]);
    const records = await sys.cycleMany(step(names, WARM, NEWS));
    await sys.stop();
    for (const r of records) {
      const bySource = Object.fromEntries(r.planets.map((p) => [p.planet, p.llm?.outcome]));
      expect(bySource).toEqual({
        execution: 'answered',
        risk: 'answered',
        sentiment: 'invalid',
        technical: 'answered',
      });
    }
    expect(h.server.requests).toHaveLength(4);
  });

  it('a lone symbol, or symbols on different bar times, ask exactly as cycle() would', async () => {
    const sys = await warmed(['ONE']);
    await sys.cycleMany(step(['ONE'], WARM));
    await sys.stop();
    expect(h.server.requests).toHaveLength(3);
    expect(h.server.requests.every((q) => sectionsOf(q).length === 0)).toBe(true);
    const refs = h.gateway.ledger
      .since(0)
      .map((e) => parseCallRef(e.ref))
      .filter((r) => r?.symbols[0] === 'ONE');
    expect(refs.map((r) => [r?.agent, r?.seq, r?.symbols])).toEqual(
      expect.arrayContaining([
        ['planet:technical', 1, ['ONE']],
        ['planet:risk', 1, ['ONE']],
        ['planet:execution', 1, ['ONE']],
      ]),
    );

    // Two symbols whose bars are an hour apart: no window, two plain cycles.
    h.server.reset();
    const two = await warmed(['A', 'B']);
    const [a, b] = step(['A', 'B'], WARM);
    const records = await two.cycleMany([a!, { ...b!, bar: { ...b!.bar, time: b!.bar.time + 3_600_000 } }]);
    await two.stop();
    expect(records.map((r) => r.mode)).toEqual([
      ExecutionMode.LIGHT_REASONING,
      ExecutionMode.LIGHT_REASONING,
    ]);
    expect(h.server.requests).toHaveLength(6);
    expect(h.server.requests.every((q) => sectionsOf(q).length === 0)).toBe(true);
    expect(records.map((r) => r.calls)).toEqual([3, 3]);
  });

  it('MONITOR_ONLY and LIGHT symbols in one step: only the LIGHT ones ask, in one batch', async () => {
    const names = symbols(4);
    const sys = createSolarSystem({ config: LIGHT, gateway: h.gateway, clock: h.clock });
    // SYM0 and SYM1 are warmed; SYM2 and SYM3 start later and are still warming up (MONITOR_ONLY).
    for (let i = 0; i < WARM; i++) await sys.cycleMany(step(names.slice(0, 2), i));
    for (let i = 0; i < 10; i++)
      await sys.cycleMany(
        step(names.slice(2), i).map((x) => ({ ...x, bar: { ...x.bar, time: bars[WARM - 10 + i]!.time } })),
      );
    h.server.reset();
    answerBatches(h.server);
    const inputs = step(names, WARM).map((x, k) =>
      k < 2 ? x : { ...x, bar: { ...x.bar, time: bars[WARM]!.time } },
    );
    const records = await sys.cycleMany(inputs);
    await sys.stop();
    expect(records.map((r) => r.mode)).toEqual([
      ExecutionMode.LIGHT_REASONING,
      ExecutionMode.LIGHT_REASONING,
      ExecutionMode.MONITOR_ONLY,
      ExecutionMode.MONITOR_ONLY,
    ]);
    expect(h.server.requests).toHaveLength(3);
    for (const q of h.server.requests) expect(sectionsOf(q)).toEqual(names.slice(0, 2));
    expect(records[2]!.calls).toBe(0);
  });

  it('refuses a repeated symbol; a failing cycle does not hold the others back', async () => {
    const sys = await warmed(['X', 'Y', 'Z']);
    const input = step(['X', 'Y', 'Z'], WARM);
    await expect(sys.cycleMany([input[0]!, input[0]!])).rejects.toThrow(InvalidInputError);
    // Z's bar is not after its previous one: Z fails, X and Y still complete their (batched) cycle.
    const stale = { ...input[2]!, bar: scaled(bars[WARM - 1]!, 2) };
    await expect(sys.cycleMany([input[0]!, input[1]!, stale])).rejects.toThrow(/not after its previous bar/);
    expect(h.server.requests).toHaveLength(3);
    for (const q of h.server.requests) expect(sectionsOf(q)).toEqual(['X', 'Y']);
    const next = await sys.cycleMany(step(['X', 'Y'], WARM + 1));
    expect(next).toHaveLength(2);
    await sys.stop();
  });

  it('batching: false asks once per symbol', async () => {
    const names = symbols(3);
    const sys = createSolarSystem({ config: LIGHT, gateway: h.gateway, clock: h.clock, batching: false });
    for (let i = 0; i <= WARM; i++) await sys.cycleMany(step(names, i));
    await sys.stop();
    expect(h.server.requests).toHaveLength(9);
  });

  it('maxSymbols splits a large group into several calls', async () => {
    const names = symbols(5);
    const sys = createSolarSystem({
      config: LIGHT,
      gateway: h.gateway,
      clock: h.clock,
      batching: { maxSymbols: 2 },
    });
    for (let i = 0; i <= WARM; i++) await sys.cycleMany(step(names, i));
    await sys.stop();
    // 3 planets × (2 + 2 + 1 symbols) = 9 requests, the last of each planet a plain one.
    expect(h.server.requests).toHaveLength(9);
    expect(h.server.requests.map((q) => sectionsOf(q).length).sort()).toEqual([0, 0, 0, 2, 2, 2, 2, 2, 2]);
  });
});

describe('batching building blocks', () => {
  it('allocateInts: integers that add up to the total, each within one of its exact share', () => {
    fc.assert(
      fc.property(
        fc.nat(1_000_000),
        fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (total, weights) => {
          const out = allocateInts(total, weights);
          expect(out.reduce((a, b) => a + b, 0)).toBe(total);
          const sum = weights.reduce((a, b) => a + b, 0);
          out.forEach((v, i) => {
            expect(Number.isInteger(v) && v >= 0).toBe(true);
            const exact = sum > 0 ? (total * weights[i]!) / sum : total / weights.length;
            expect(Math.abs(v - exact)).toBeLessThan(1 + 1e-6);
          });
        },
      ),
    );
  });

  it('call refs round-trip whatever the symbols hold, and foreign refs read as undefined', () => {
    fc.assert(
      fc.property(
        fc.record({
          time: fc.integer(),
          agent: fc.string(),
          seq: fc.nat(),
          symbols: fc.array(fc.string(), { minLength: 1, maxLength: 5 }),
        }),
        (ref) => {
          expect(parseCallRef(formatCallRef(ref))).toEqual(ref);
        },
      ),
    );
    expect(parseCallRef(undefined)).toBeUndefined();
    expect(parseCallRef('cycle-1')).toBeUndefined();
    expect(parseCallRef('[1, 2]')).toBeUndefined();
  });

  it('splitAnswer validates each part against its own schema', () => {
    const A = z.object({ x: z.number() });
    const B = z.object({ y: z.string() });
    const parts = [
      { symbol: 'a', req: { task: 't', messages: [], schema: A } },
      { symbol: 'b', req: { task: 't', messages: [], schema: B } },
      { symbol: 'c', req: { task: 't', messages: [], schema: B } },
    ];
    const out = splitAnswer(parts, { a: { x: 1 }, b: { y: 2 } }, { provider: 'p', model: 'm' });
    expect(out[0]).toEqual({ ok: true, parsed: { x: 1 }, text: '{"x":1}' });
    expect(out[1]?.ok).toBe(false);
    expect(!out[1]!.ok && out[1]!.error).toBeInstanceOf(LLMResponseFormatError);
    expect(!out[2]!.ok && out[2]!.error.message).toMatch(/no part for c/);
  });

  it('combineRequests: one system and one user message, a section per symbol, capped answer size', () => {
    const msg = (u: string) => [
      { role: 'system' as const, content: 'You are an analyst.' },
      { role: 'user' as const, content: u },
    ];
    const req = combineRequests(
      [
        {
          symbol: 'BTC/USDT',
          req: { task: 't', messages: msg('btc data'), schema: z.object({}), maxTokens: 300 },
        },
        {
          symbol: 'ETH/USDT',
          req: { task: 't', messages: msg('eth data'), schema: z.object({}), maxTokens: 300 },
        },
      ],
      { ref: 'r', maxTokensCap: 500, defaultMaxTokens: 400 },
    );
    expect(req.messages).toHaveLength(2);
    expect(req.messages[0]?.content).toMatch(/^You are an analyst\.\n\nThis request covers 2 symbols/);
    expect(req.messages[1]?.content).toBe('### "BTC/USDT"\nbtc data\n\n### "ETH/USDT"\neth data');
    expect(req.maxTokens).toBe(500);
    expect(req.ref).toBe('r');
  });
});
