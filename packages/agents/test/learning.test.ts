import { tempDir } from '@orrery/testkit';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyPlaybook,
  type Decision,
  Learner,
  LearningInputError,
  LearningNotFoundError,
  learnedWeight,
  learningSettingsSchema,
  normalCdf,
  type OutcomeEvidenceInput,
  ruleEvidence,
  studentTTwoSided,
  TuningTimeline,
  twoProportionZTest,
  welchTTest,
} from '../src/index.ts';

const dirs: { remove(): void }[] = [];
const learners: Learner[] = [];
afterEach(() => {
  for (const l of learners.splice(0)) l.close();
  for (const d of dirs.splice(0)) d.remove();
});

function dbPath(): string {
  const d = tempDir('orrery-learning-');
  dirs.push(d);
  return `${d.path}/learning.db`;
}

function open(path: string, scope = 'run-1'): Learner {
  const l = Learner.open({
    path,
    scope,
    weights: { technical: 1, risk: 1, sentiment: 0.5 },
    settings: { minSamples: 10, priorStrength: 10, minChange: 0.01 },
  });
  learners.push(l);
  return l;
}

/**
 * A known history of `n` outcomes: the price rises on even bars and falls on odd ones; technical calls
 * 3 in 4 right, risk 1 in 2, sentiment 1 in 4; positions in `up/normal` gain 3 times in 4, in `down/high`
 * 1 time in 5.
 */
function history(n: number, from = 0): OutcomeEvidenceInput[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const up = i % 2 === 0;
    const move = up ? 0.01 : -0.01;
    const call = (right: boolean) => (right === up ? 0.5 : -0.5);
    const regime = i % 2 === 0 ? 'up/normal' : 'down/high';
    // Up bars hold long 3 times in 4 (a gain), down bars hold long 4 times in 5 (a loss).
    const gains = regime === 'up/normal' ? i % 8 !== 0 : i % 10 === 1;
    return {
      key: `SPY@${i}`,
      symbol: 'SPY',
      time: i * 86_400_000,
      regime,
      move,
      position: gains === up ? 0.2 : -0.2,
      planets: [
        { planet: 'technical', signal: call(i % 4 !== 3), confidence: 0.8 },
        { planet: 'risk', signal: call(i % 4 < 2), confidence: 0.5 },
        { planet: 'sentiment', signal: call(i % 4 === 0), confidence: 0.4 },
        { planet: 'execution', signal: 0.01, confidence: 0.9 },
      ],
    };
  });
}

describe('learning loop', () => {
  it('learns planet weights and the regime playbook from a known outcome history, with evidence', () => {
    const learner = open(dbPath());
    expect(learner.record(history(9))).toBe(9);
    expect(learner.refresh(1)).toEqual([]); // fewer than minSamples outcomes: the priors stand
    expect(learner.record(history(31, 9))).toBe(31);
    const tallies = learner.tallies();
    expect(tallies['planet:technical']).toEqual({ n: 40, hits: 30 });
    expect(tallies['planet:risk']).toEqual({ n: 40, hits: 20 });
    expect(tallies['planet:sentiment']).toEqual({ n: 40, hits: 10 });
    expect(tallies['planet:execution']).toBeUndefined(); // below minSignal: never a directional call
    const regimes = { up: tallies['regime:up/normal']!, down: tallies['regime:down/high']! };
    expect(regimes.up.n).toBe(20);
    expect(regimes.down.n).toBe(20);

    const changes = learner.refresh(2);
    const by = Object.fromEntries(changes.map((c) => [c.parameter, c]));
    // technical: (30 + 5) / (40 + 10) = 0.7 → × 1.4; sentiment: (10 + 5) / 50 = 0.3 → 0.5 × 0.6.
    expect(by['weight:technical']).toMatchObject({ old: 1, new: 1.4, at: 2 });
    expect(by['weight:technical']!.evidence).toMatchObject({
      n: 40,
      hits: 30,
      rate: 0.75,
      shrunk: 0.7,
      prior: 1,
    });
    expect(by['weight:sentiment']).toMatchObject({ old: 0.5, new: 0.3 });
    expect(by['weight:risk']).toBeUndefined(); // a coin-flipper keeps its prior
    const upShrunk = (regimes.up.hits + 5) / (regimes.up.n + 10);
    const downShrunk = (regimes.down.hits + 5) / (regimes.down.n + 10);
    expect(upShrunk).toBeGreaterThan(0.5); // gains: capped at 1, which is the prior: no change
    expect(by['playbook:up/normal']).toBeUndefined();
    const down = Math.round(Math.max(0.25, 2 * downShrunk) * 1000) / 1000;
    expect(by['playbook:down/high']).toMatchObject({ old: 1, new: down });
    expect(by['playbook:down/high']!.evidence.stance).toBe(down >= 0.6 ? 'cautious' : 'defensive');

    expect(learner.weightOf('technical')).toBe(1.4);
    expect(learner.weightOf('risk')).toBeUndefined();
    expect(learner.riskMultiplier('down/high')).toBe(down);
    expect(learner.riskMultiplier('never/seen')).toBe(1);
    expect(learner.weights()).toEqual({ sentiment: 0.3, technical: 1.4 });

    // The same outcomes again count nothing and change nothing.
    expect(learner.record(history(40))).toBe(0);
    expect(learner.refresh(3)).toEqual([]);
  });

  it('reverts a change, holds it until minSamples more outcomes, and persists per scope', () => {
    const path = dbPath();
    const learner = open(path);
    learner.record(history(40));
    const change = learner.refresh(1).find((c) => c.parameter === 'weight:technical')!;
    const undo = learner.revert(change.id, 5);
    expect(undo).toMatchObject({ parameter: 'weight:technical', old: 1.4, new: 1, at: 5 });
    expect(undo.evidence).toEqual({ revertOf: change.id, restored: 1 });
    expect(learner.weightOf('technical')).toBe(1);
    expect(learner.changes('weight:technical').map((c) => [c.id, c.revertedBy])).toEqual([
      [change.id, undo.id],
      [undo.id, undefined],
    ]);
    expect(() => learner.revert(change.id)).toThrow(LearningInputError);
    expect(() => learner.revert(undo.id)).toThrow(LearningInputError);
    expect(() => learner.revert(99_999)).toThrow(LearningNotFoundError);

    // The same evidence does not bring the reverted value back; minSamples (10) more outcomes do.
    expect(learner.refresh(6)).toEqual([]);
    learner.record(history(9, 40));
    expect(learner.refresh(7).map((c) => c.parameter)).not.toContain('weight:technical');
    learner.record(history(1, 49));
    expect(learner.refresh(8).find((c) => c.parameter === 'weight:technical')).toMatchObject({ old: 1 });

    // Reopened: the same parameters; another scope learns on its own.
    const weights = learner.weights();
    learner.close();
    expect(open(path).weights()).toEqual(weights);
    expect(open(path, 'run-2').weights()).toEqual({});
    expect(() => open(path, 'run-2').revert(change.id)).toThrow(LearningNotFoundError);
  });

  it('rebuilds the parameters as they stood at past times from the changes', () => {
    const learner = open(dbPath());
    learner.record(history(40));
    learner.refresh(10);
    const change = learner.changes('weight:technical')[0]!;
    learner.revert(change.id, 20);
    const timeline = new TuningTimeline(learner.changes());
    expect(timeline.advance(10).weightOf('technical')).toBeUndefined(); // made at 10: applies after it
    expect(timeline.advance(11).weightOf('technical')).toBe(1.4);
    expect(timeline.riskMultiplier('down/high')).toBe(learner.riskMultiplier('down/high'));
    expect(timeline.advance(21).weightOf('technical')).toBe(1);
    expect(timeline.riskMultiplier('never/seen')).toBe(1);
    expect(() => timeline.advance(5)).toThrow(RangeError);
  });

  it('refuses bad evidence and settings, naming the field, before storing any', () => {
    const learner = open(dbPath());
    const bad = [...history(2), { ...history(1, 2)[0]!, move: Number.NaN }];
    expect(() => learner.record(bad)).toThrow(expect.objectContaining({ field: 'evidence[2].move' }));
    expect(learner.tallies()).toEqual({});
    expect(() =>
      learner.record([{ ...history(1)[0]!, planets: [{ planet: 'x', signal: 2, confidence: 1 }] }]),
    ).toThrow(LearningInputError);
    expect(() => Learner.open({ path: ':memory:', scope: 's', settings: { minSamples: 0 } })).toThrow(
      expect.objectContaining({ field: 'settings.minSamples', code: 'ORRERY_AGENTS_LEARNING_INVALID' }),
    );
    expect(() => Learner.open({ path: ':memory:', scope: '' })).toThrow(LearningInputError);
  });

  it('keeps a learned weight within its bounds and monotone in the hits (property)', () => {
    const s = learningSettingsSchema.parse({ minSamples: 5, priorStrength: 4 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 0, max: 500 }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (a, b, prior) => {
          const n = Math.max(a, b, 1);
          const lo = Math.min(a, b, n);
          const hi = Math.min(Math.max(a, b), n);
          const wLo = learnedWeight(ruleEvidence({ n, hits: lo }, s, prior), s);
          const wHi = learnedWeight(ruleEvidence({ n, hits: hi }, s, prior), s);
          expect(wLo).toBeLessThanOrEqual(wHi);
          for (const w of [wLo, wHi]) {
            if (n < s.minSamples) expect(w).toBe(prior);
            else {
              expect(w).toBeGreaterThanOrEqual(prior * s.weightFactor.min - 5e-4);
              expect(w).toBeLessThanOrEqual(prior * s.weightFactor.max + 5e-4);
            }
          }
        },
      ),
    );
  });
});

describe('regime playbook', () => {
  const buy: Decision = {
    symbol: 'SPY',
    action: 'buy',
    targetFraction: 0.2,
    confidence: 0.7,
    rationale: 'trend',
    source: 'consensus',
  };

  it('scales a trade’s target, turns a trade onto the current position into a hold, flips past it', () => {
    expect(applyPlaybook(buy, 'up/normal', 0, 1)).toBe(buy);
    expect(applyPlaybook(buy, 'down/high', 0, 0.5)).toMatchObject({ action: 'buy', targetFraction: 0.1 });
    expect(applyPlaybook(buy, 'down/high', 0.1, 0.5)).toMatchObject({ action: 'hold', targetFraction: 0.1 });
    expect(applyPlaybook(buy, 'down/high', 0.15, 0.5)).toMatchObject({ action: 'sell', targetFraction: 0.1 });
    expect(applyPlaybook(buy, 'down/high', 0, 0.5).rationale).toBe('trend (playbook down/high ×0.5)');
    for (const action of ['hold', 'flatten'] as const) {
      const d = { ...buy, action };
      expect(applyPlaybook(d, 'down/high', 0.1, 0.25)).toBe(d);
    }
  });
});

describe('statistics', () => {
  it('match reference values', () => {
    expect(normalCdf(1.96)).toBeCloseTo(0.975_002_1, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158_655_25, 6);
    expect(studentTTwoSided(2.228, 10)).toBeCloseTo(0.05, 3);
    expect(studentTTwoSided(2, 5)).toBeCloseTo(0.101_939, 5);
    expect(studentTTwoSided(1, 1)).toBeCloseTo(0.5, 9);
    const z = twoProportionZTest(45, 100, 30, 100);
    expect(z.statistic).toBeCloseTo(2.190_89, 4);
    expect(z.p).toBeCloseTo(0.028_46, 4);
    expect(twoProportionZTest(10, 10, 20, 20)).toMatchObject({ p: 1, diff: 0 });
    // R: t.test(1:5, c(2,4,6,8,10)) → t = -1.8974, df = 5.8824, p-value = 0.1075
    const w = welchTTest([1, 2, 3, 4, 5], [2, 4, 6, 8, 10]);
    expect(w.statistic).toBeCloseTo(-1.897_37, 4);
    expect(w.df).toBeCloseTo(5.882_35, 4);
    expect(w.p).toBeCloseTo(0.1075, 4);
    expect(() => welchTTest([1], [1, 2])).toThrow(RangeError);
    expect(() => twoProportionZTest(5, 4, 1, 2)).toThrow(RangeError);
  });
});
