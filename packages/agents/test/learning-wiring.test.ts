import { ManualClock } from '@orrery/core';
import { describe, expect, it } from 'vitest';
import { type CycleRecord, createSolarSystem, Learner, type SunTuning } from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { llmHarness, MODELS, promptText } from './helpers/llm.ts';
import { answerAll, FLAT } from './helpers/system.ts';

const bars = referenceBars().slice(0, 300);

/** A tuning whose values the test sets between cycles. */
function mutableTuning(): SunTuning & { weights: Map<string, number>; multiplier: number } {
  return {
    weights: new Map(),
    multiplier: 1,
    weightOf(planet) {
      return this.weights.get(planet);
    },
    riskMultiplier() {
      return this.multiplier;
    },
  };
}

async function run(tuning: SunTuning | null, each?: (i: number) => void): Promise<CycleRecord[]> {
  const sys = createSolarSystem({ gateway: null, tuning, clock: new ManualClock(0) });
  const out: CycleRecord[] = [];
  try {
    for (const [i, bar] of bars.entries()) {
      each?.(i);
      // news on every bar, so the sentiment planet votes next to the technical one
      out.push(
        await sys.cycle({ symbol: 'SPX', bar, portfolio: FLAT, news: ['Shares rally on strong earnings'] }),
      );
    }
  } finally {
    await sys.stop();
  }
  return out;
}

const weightOf = (r: CycleRecord, planet: string) => r.planets.find((p) => p.planet === planet)?.weight;

describe('learned parameters in the solar system', () => {
  it('a weight change takes effect at the next cycle, in the reports and the consensus', async () => {
    const tuning = mutableTuning();
    const records = await run(tuning, (i) => {
      if (i === 150) tuning.weights.set('technical', 0.2);
      if (i === 200) tuning.weights.set('risk', 3);
    });
    expect(weightOf(records[149]!, 'technical')).toBe(1);
    expect(weightOf(records[150]!, 'technical')).toBe(0.2);
    expect(weightOf(records[199]!, 'risk')).toBe(1);
    expect(weightOf(records[200]!, 'risk')).toBe(3);
    expect(weightOf(records[299]!, 'sentiment')).toBe(0.5); // untouched: the configured weight
    // The consensus uses them: the same bars without tuning decide otherwise somewhere after bar 150.
    const plain = await run(null);
    expect(plain.slice(0, 150).map((r) => r.consensusDecision)).toEqual(
      records.slice(0, 150).map((r) => r.consensusDecision),
    );
    expect(plain.slice(150).map((r) => r.consensusDecision)).not.toEqual(
      records.slice(150).map((r) => r.consensusDecision),
    );
    expect(records.every((r) => typeof r.regime === 'string' && r.regime.includes('/'))).toBe(true);
  });

  it('the regime playbook scales trades of the decision and of the consensus', async () => {
    const plain = await run(null);
    const trades = plain.filter((r) => r.consensusDecision.action === 'buy');
    expect(trades.length).toBeGreaterThan(0);
    const tuning = mutableTuning();
    tuning.multiplier = 0.5;
    const halved = await run(tuning);
    for (const r of trades) {
      const h = halved.find((x) => x.time === r.time)!;
      expect(h.consensusDecision.targetFraction).toBeCloseTo(r.consensusDecision.targetFraction / 2, 12);
      expect(h.consensusDecision.rationale).toContain(`playbook ${r.regime} ×0.5`);
    }
    tuning.multiplier = 0;
    const none = await run(tuning);
    expect(none.some((r) => r.decision.action === 'buy' || r.consensusDecision.action === 'buy')).toBe(false);
  });

  it('a Learner plugs in as the tuning: a refresh between cycles changes the next one', async () => {
    const learner = Learner.open({
      path: ':memory:',
      scope: 'wiring',
      weights: { technical: 1, risk: 1, sentiment: 0.5, execution: 0.5 },
      settings: { minSamples: 5, priorStrength: 0 },
    });
    try {
      const records = await run(learner, (i) => {
        if (i !== 100) return;
        // Technical called five moves wrong: its weight drops to the floor (0.25 × 1).
        learner.record(
          Array.from({ length: 5 }, (_, k) => ({
            key: `k${k}`,
            symbol: 'SPX',
            time: k,
            move: 0.01,
            planets: [{ planet: 'technical', signal: -0.5, confidence: 1 }],
          })),
        );
        expect(learner.refresh(i).map((c) => [c.parameter, c.new])).toEqual([['weight:technical', 0.25]]);
      });
      expect(weightOf(records[99]!, 'technical')).toBe(1);
      expect(weightOf(records[100]!, 'technical')).toBe(0.25);
    } finally {
      learner.close();
    }
  });

  it('the sun reasons with the prompt variant the tuning assigns, and the record says which', async () => {
    const h = await llmHarness();
    try {
      answerAll(h.server);
      const assigned: string[] = [];
      // Odd and even days get different variants.
      const pick = (key: string) => ((Number(key.split('@')[1]) / 86_400_000) % 2 === 0 ? 'b' : 'a');
      const tuning: SunTuning = {
        weightOf: () => undefined,
        riskMultiplier: () => 1,
        promptVariant(promptId, key) {
          assigned.push(`${promptId} ${key}`);
          return pick(key) === 'b'
            ? { variant: 'b', text: 'Prefer holding when planets disagree.' }
            : { variant: 'a', text: '' };
        },
      };
      const sys = createSolarSystem({
        config: { mode: { fullAgentStakes: 0.02 }, critic: { minTradeFraction: 0.02 } },
        gateway: h.gateway,
        clock: h.clock,
        tuning,
      });
      const records: CycleRecord[] = [];
      for (const bar of bars.slice(0, 160))
        records.push(await sys.cycle({ symbol: 'SPX', bar, portfolio: FLAT }));
      await sys.stop();
      const reasoned = records.filter((r) => r.reasoning?.turns);
      expect(reasoned.length).toBeGreaterThan(0);
      for (const r of reasoned) {
        const key = `SPX@${r.time}`;
        expect(assigned).toContain(`sun.system ${key}`);
        expect(r.reasoning!.promptVariant).toBe(pick(key));
      }
      expect(new Set(reasoned.map((r) => r.reasoning!.promptVariant))).toEqual(new Set(['a', 'b']));
      const sunPrompts = h.server.requestsFor(MODELS.sun).map((q) => promptText(q.body));
      expect(
        sunPrompts.filter((t) => t.includes('Guidance: Prefer holding when planets disagree.')).length,
      ).toBe(
        reasoned
          .filter((r) => r.reasoning!.promptVariant === 'b')
          .reduce((n, r) => n + r.reasoning!.turns, 0),
      );
      expect(sunPrompts.every((t) => !t.includes('Guidance: \n') && !t.endsWith('Guidance: '))).toBe(true);
    } finally {
      await h.close();
    }
  });
});
