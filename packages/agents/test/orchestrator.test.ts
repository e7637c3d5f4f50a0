import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CycleRecord,
  createSolarSystem,
  type PortfolioView,
  parseSolarSystemConfig,
} from '../src/index.ts';
import { PortfolioBook } from '../src/portfolio/portfolio-book.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';
import { answerAll } from './helpers/system.ts';

/** A record of `symbol` deciding `target` (only what the book reads and writes). */
function recordOf(symbol: string, target: number): CycleRecord {
  return {
    symbol,
    clamps: [],
    decision: {
      symbol,
      action: target === 0 ? 'flatten' : target > 0 ? 'buy' : 'sell',
      targetFraction: target,
      confidence: 0.5,
      rationale: 'test',
      source: 'consensus',
    },
  } as unknown as CycleRecord;
}

describe('the orchestrator holds a step to the gross exposure cap', () => {
  const symbols = ['A', 'B', 'C', 'D'];
  const arb = fc.record({
    targets: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
    held: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 0, maxLength: 3 }),
    cap: fc.double({ min: 0, max: 3, noNaN: true }),
  });

  it('targets plus the positions outside the step never exceed risk.maxExposure; only shrink, signs kept', () => {
    fc.assert(
      fc.property(arb, ({ targets, held, cap }) => {
        const risk = parseSolarSystemConfig({ risk: { maxExposure: cap } }).risk;
        const equity = 100_000;
        const positions = Object.fromEntries(
          held.map((w, i) => [`H${i}`, { qty: (w * equity) / 50, avgPrice: 50, markPrice: 50 }]),
        );
        const portfolio: PortfolioView = { equity, cash: equity, positions };
        const others = held.reduce((a, w) => a + Math.abs(w), 0);
        const inputs = symbols.map((symbol, i) => ({
          symbol,
          portfolio,
          bar: { time: 1, open: 10, high: 10, low: 10, close: 10 + i, volume: 1 },
        }));
        const before = symbols.map((s, i) => recordOf(s, targets[i]!));
        const after = new PortfolioBook(risk).step(inputs, before);
        const gross = after.reduce((a, r) => a + Math.abs(r.decision.targetFraction), 0);
        expect(gross).toBeLessThanOrEqual(Math.max(0, cap - others) * (1 + 1e-12) + 1e-12);
        const wasOver = targets.reduce((a, t) => a + Math.abs(t), 0) + others > cap;
        after.forEach((r, i) => {
          const t = targets[i]!;
          const a = r.decision.targetFraction;
          expect(Math.abs(a)).toBeLessThanOrEqual(Math.abs(t));
          if (a !== 0) expect(Math.sign(a)).toBe(Math.sign(t));
          if (!wasOver) expect(r).toBe(before[i]);
          if (a !== t) {
            expect(r.clamps).toContain('max exposure');
            expect(r.decision.rationale).toMatch(/gross exposure cap/);
          }
        });
      }),
    );
  });
});

describe('one orchestrator sees the whole portfolio', () => {
  let h: LlmHarness;
  beforeAll(async () => {
    h = await llmHarness();
    answerAll(h.server);
  });
  afterAll(async () => h.close());

  it("a symbol's sun reasons with the other positions, their moons' readings and the gross exposure in view", async () => {
    h.server.reset();
    const sys = createSolarSystem({
      gateway: h.gateway,
      clock: h.clock,
      config: {
        mode: { minChangedForLight: 0, fullAgentStakes: 0 },
        materialChange: { warmupBars: 30 },
        cache: { enabled: false },
      },
    });
    const bars = referenceBars().slice(0, 36);
    const equity = 100_000;
    // B is held at 30 % of equity; A is what the sun decides about.
    const portfolio: PortfolioView = {
      equity,
      cash: 70_000,
      positions: { B: { qty: 30_000 / 100, avgPrice: 100, markPrice: 100 } },
    };
    const records: CycleRecord[][] = [];
    for (const bar of bars) {
      records.push(
        await sys.cycleMany([
          { symbol: 'A', bar, portfolio },
          { symbol: 'B', bar, portfolio },
        ]),
      );
    }
    await sys.stop();
    const full = records.flat().filter((r) => r.symbol === 'A' && r.mode === 'FULL_AGENT');
    expect(full.length).toBeGreaterThan(0);
    const prompts = h.server.requestsFor(MODELS.sun).map((r) => promptText(r.body));
    const aboutA = prompts.filter((p) => p.includes('Symbol A,'));
    expect(aboutA.length).toBeGreaterThan(0);
    const last = aboutA.at(-1)!;
    expect(last).toContain('Portfolio: gross exposure 0.30 of equity (cap 1), cash 0.70.');
    // B's line carries the reading B's moons published on the bus (the trend and volatility features).
    expect(last).toMatch(/\n {2}B 0\.30 of equity, trend (up|down|flat), vol \d+(\.\d+)? %/);
    // A's own position is not briefed as another one.
    expect(last).not.toMatch(/\n {2}A -?\d/);
  });
});
