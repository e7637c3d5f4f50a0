import { ManualClock } from '@orrery/core';
import { tempDir } from '@orrery/testkit';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  LearningInputError,
  LearningNotFoundError,
  PromptEvolution,
  type PromptEvolutionSettingsInput,
} from '../src/index.ts';

const dirs: { remove(): void }[] = [];
const opened: PromptEvolution[] = [];
afterEach(() => {
  for (const p of opened.splice(0)) p.close();
  for (const d of dirs.splice(0)) d.remove();
});

function evolution(settings: PromptEvolutionSettingsInput = {}, path?: string): PromptEvolution {
  let file = path;
  if (file === undefined) {
    const d = tempDir('orrery-prompts-');
    dirs.push(d);
    file = `${d.path}/prompts.db`;
  }
  const p = PromptEvolution.open({ path: file, settings, clock: new ManualClock(Date.UTC(2026, 0, 1)) });
  opened.push(p);
  return p;
}

const VARIANTS = [
  { id: 'a', text: 'Be brief.' },
  { id: 'b', text: 'Think about the regime first.' },
];

/** Records `successes` of `n` outcomes for `variant` (keys unique per variant and batch). */
function feed(p: PromptEvolution, variant: string, n: number, successes: number, batch = 0): void {
  for (let i = 0; i < n; i++)
    p.recordOutcome('sun.system', variant, { key: `${variant}-${batch}-${i}`, success: i < successes });
}

describe('prompt A/B evolution', () => {
  it('assigns keys deterministically and about evenly', () => {
    const p = evolution();
    p.define('sun.system', VARIANTS);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 2000; i++) {
      const v = p.assign('sun.system', `SPY@${i}`);
      expect(p.assign('sun.system', `SPY@${i}`)).toEqual(v);
      counts[v.variant as 'a' | 'b'] += 1;
      expect(v.adopted).toBe(false);
    }
    expect(counts.a).toBeGreaterThan(900);
    expect(counts.b).toBeGreaterThan(900);
    // Two experiments on the same prompt (two runs) with one salt assign alike.
    p.define('run-2:sun.system', VARIANTS);
    for (let i = 0; i < 50; i++)
      expect(p.assign('run-2:sun.system', `SPY@${i}`, 'sun.system').variant).toBe(
        p.assign('sun.system', `SPY@${i}`).variant,
      );
  });

  it('adopts a winner only once every variant has the minimum samples and the difference is significant', () => {
    const p = evolution({ minSamples: 50, alpha: 0.05 });
    p.define('sun.system', VARIANTS);
    feed(p, 'a', 49, 5);
    feed(p, 'b', 49, 45);
    // A huge difference, but 49 < 50 samples: no adoption.
    const early = p.evaluate('sun.system');
    expect(early.status).toBe('insufficient');
    expect(early.winner).toBeUndefined();
    feed(p, 'a', 1, 0, 1);
    feed(p, 'b', 1, 1, 1);
    const done = p.evaluate('sun.system');
    expect(done).toMatchObject({ status: 'adopted', winner: 'b', alpha: 0.05 });
    const vsA = done.variants.find((v) => v.variant === 'a')!;
    expect(vsA).toMatchObject({ n: 50, successes: 5 });
    expect(vsA.test!.p).toBeLessThan(1e-6);
    // Adopted for good: every key gets the winner; the history says why.
    for (let i = 0; i < 50; i++)
      expect(p.assign('sun.system', `k${i}`)).toMatchObject({ variant: 'b', adopted: true });
    const history = p.history('sun.system');
    expect(history.map((h) => h.event)).toEqual(['defined', 'adopted']);
    expect(history[1]).toMatchObject({ variant: 'b', evidence: { test: 'two-proportion', minSamples: 50 } });
    feed(p, 'a', 100, 100, 2); // later outcomes do not undo an adoption
    expect(p.evaluate('sun.system')).toMatchObject({ status: 'adopted', winner: 'b' });
    expect(p.history('sun.system')).toHaveLength(2);
  });

  it('does not adopt on a difference that is not significant', () => {
    const p = evolution({ minSamples: 50, alpha: 0.05 });
    p.define('sun.system', VARIANTS);
    feed(p, 'a', 50, 25);
    feed(p, 'b', 50, 28);
    const e = p.evaluate('sun.system');
    expect(e.status).toBe('undecided');
    expect(e.variants.find((v) => v.variant === 'a')!.test!.p).toBeGreaterThan(0.5);
    expect(p.history('sun.system').map((h) => h.event)).toEqual(['defined']);
    expect(p.assign('sun.system', 'x').adopted).toBe(false);
  });

  it('fixed horizon: corrects alpha for several challengers (p ≈ 0.034 wins 1 comparison, not 2), tested once', () => {
    const two = evolution({ minSamples: 100, monitoring: 'fixed-horizon' });
    two.define('sun.system', VARIANTS);
    feed(two, 'a', 100, 45);
    feed(two, 'b', 100, 60);
    expect(two.evaluate('sun.system')).toMatchObject({ status: 'adopted', winner: 'b' });

    const three = evolution({ minSamples: 100, monitoring: 'fixed-horizon' });
    three.define('sun.system', [...VARIANTS, { id: 'c', text: 'List risks.' }]);
    feed(three, 'a', 100, 45);
    feed(three, 'b', 100, 60);
    feed(three, 'c', 100, 30);
    expect(three.evaluate('sun.system')).toMatchObject({ status: 'concluded', alpha: 0.025 });
    // the one test is spent: more evidence later does not get a second look
    feed(three, 'b', 100, 100, 1);
    expect(three.evaluate('sun.system')).toMatchObject({ status: 'concluded' });
    expect(three.history('sun.system').map((h) => h.event)).toEqual(['defined', 'concluded']);
  });

  it('sequential (default): the same p ≈ 0.034 is not yet enough; clear evidence later is', () => {
    const p = evolution({ minSamples: 100 });
    p.define('sun.system', VARIANTS);
    feed(p, 'a', 100, 45);
    feed(p, 'b', 100, 60);
    const e = p.evaluate('sun.system');
    expect(e.status).toBe('undecided');
    expect(e.variants.find((v) => v.variant === 'a')!.test).toMatchObject({ test: 'msprt-two-proportion' });
    feed(p, 'a', 200, 90, 1);
    feed(p, 'b', 200, 120, 1);
    expect(p.evaluate('sun.system')).toMatchObject({ status: 'adopted', winner: 'b' });
  });

  it("uses Welch's t-test on values, e.g. returns", () => {
    const p = evolution({ test: 'welch', minSamples: 30 });
    p.define('sun.system', VARIANTS);
    for (let i = 0; i < 30; i++) {
      p.recordOutcome('sun.system', 'a', { key: `a${i}`, value: 0.001 * ((i % 5) - 2) });
      p.recordOutcome('sun.system', 'b', { key: `b${i}`, value: 0.004 + 0.001 * ((i % 5) - 2) });
    }
    const e = p.evaluate('sun.system');
    expect(e).toMatchObject({ status: 'adopted', winner: 'b' });
    expect(e.variants.find((v) => v.variant === 'a')!.test).toMatchObject({ test: 'msprt-welch' });
    expect(() => p.recordOutcome('sun.system', 'a', { key: 'z', success: true })).toThrow(LearningInputError);
  });

  it('keeps variants stable, outcomes once per key, and refuses unknown prompts and variants', () => {
    const d = tempDir('orrery-prompts-');
    dirs.push(d);
    const path = `${d.path}/p.db`;
    const p = evolution({}, path);
    p.define('sun.system', VARIANTS);
    p.define('sun.system', VARIANTS); // idempotent
    p.define('sun.system', [...VARIANTS, { id: 'c', text: 'new' }]);
    expect(() => p.define('sun.system', [{ id: 'a', text: 'changed' }])).toThrow(LearningInputError);
    expect(() => p.define('sun.system', [])).toThrow(LearningInputError);
    expect(p.recordOutcome('sun.system', 'a', { key: 'k', success: true })).toBe(true);
    expect(p.recordOutcome('sun.system', 'b', { key: 'k', success: false })).toBe(false);
    expect(() => p.recordOutcome('sun.system', 'zz', { key: 'k2', success: true })).toThrow(
      LearningNotFoundError,
    );
    expect(() => p.assign('nope', 'k')).toThrow(LearningNotFoundError);
    expect(() => p.recordOutcome('sun.system', 'a', { key: 'k3' })).toThrow(LearningInputError);
    p.close();
    const again = evolution({}, path);
    expect(again.history('sun.system').map((h) => h.evidence)).toEqual([
      { added: ['a', 'b'] },
      { added: ['c'] },
    ]);
    expect(again.evaluate('sun.system').variants.map((v) => [v.variant, v.n])).toEqual([
      ['a', 1],
      ['b', 0],
      ['c', 0],
    ]);
    again.forget('sun.system');
    expect(again.history('sun.system')).toEqual([]);
    expect(() => again.assign('sun.system', 'k')).toThrow(LearningNotFoundError);
  });

  it('never adopts with fewer than the minimum samples, whatever the outcomes (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 19 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        (few, x, y) => {
          const p = PromptEvolution.open({ path: ':memory:', settings: { minSamples: 20 } });
          try {
            p.define('q', VARIANTS);
            for (let i = 0; i < few; i++) p.recordOutcome('q', 'a', { key: `a${i}`, success: i < x });
            for (let i = 0; i < 40; i++) p.recordOutcome('q', 'b', { key: `b${i}`, success: i < y });
            expect(p.evaluate('q').status).toBe('insufficient');
          } finally {
            p.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
