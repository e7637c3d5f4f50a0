import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consensus, type PlanetReport } from '../src/index.ts';

const report = (
  planet: string,
  signal: number,
  confidence = 1,
  weight = 1,
  status: PlanetReport['status'] = 'ok',
) =>
  ({
    planet,
    signal,
    confidence,
    weight,
    status,
    source: 'deterministic',
    reasons: [],
  }) satisfies PlanetReport;

describe('consensus: weighted median with a quorum', () => {
  it('takes the weighted median, not the mean', () => {
    const r = consensus([report('a', 0.2), report('b', 0.3), report('c', 0.25), report('d', -1)]);
    expect(r.reached).toBe(true);
    expect(r.signal).toBeCloseTo(0.225, 12);
    expect(r.dissent).toBeGreaterThan(0);
  });

  it('an abstaining member (zero confidence) is present but does not vote', () => {
    const r = consensus([report('a', 0.5), report('b', 0.5), report('news', 0, 0)]);
    expect(r.present).toBe(3);
    expect(r.voters).toBe(2);
    expect(r.signal).toBe(0.5);
    expect(r.dissent).toBe(0);
    expect(r.confidence).toBe(1);
  });

  it('tolerates ⌈n/2⌉−1 missing members and no more', () => {
    const four = [report('a', 0.4), report('b', 0.5), report('c', 0.6), report('d', 0.7)];
    const oneDown = four.map((r, i) => (i === 0 ? { ...r, status: 'timeout' as const } : r));
    expect(consensus(oneDown).reached).toBe(true);
    expect(consensus(oneDown).faulty).toEqual(['a']);
    const twoDown = oneDown.map((r, i) => (i === 1 ? { ...r, status: 'failed' as const } : r));
    const r = consensus(twoDown);
    expect(r.reached).toBe(false);
    expect(r.signal).toBe(0);
    expect(consensus(twoDown, { quorum: 2 }).reached).toBe(true);
  });

  it('members holding less than half the voting weight cannot drag the median outside the honest range', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 7 }),
        fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 0, maxLength: 7 }),
        (honest, faulty) => {
          fc.pre(faulty.length < honest.length);
          const reports = [
            ...honest.map((s, i) => report(`h${i}`, s)),
            ...faulty.map((s, i) => report(`f${i}`, s)),
          ];
          const r = consensus(reports);
          expect(r.signal).toBeGreaterThanOrEqual(Math.min(...honest) - 1e-12);
          expect(r.signal).toBeLessThanOrEqual(Math.max(...honest) + 1e-12);
          expect(r.dissent).toBeGreaterThanOrEqual(0);
          expect(r.dissent).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it('does not depend on the order of the reports', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            s: fc.double({ min: -1, max: 1, noNaN: true }),
            c: fc.double({ min: 0, max: 1, noNaN: true }),
            w: fc.double({ min: 0, max: 2, noNaN: true }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (xs) => {
          const reports = xs.map((x, i) => report(`p${i}`, x.s, x.c, x.w));
          const a = consensus(reports);
          const b = consensus([...reports].reverse());
          expect(b).toEqual({ ...a, faulty: b.faulty });
        },
      ),
    );
  });
});

describe('consensus survives liars: confidence cannot buy influence', () => {
  it('one member at −1 with confidence 1 against three honest ones at +0.3…+0.5 with confidence 0.3', () => {
    const r = consensus([
      report('a', 0.3, 0.3),
      report('b', 0.4, 0.3),
      report('c', 0.5, 0.3),
      report('liar', -1, 1),
    ]);
    expect(r.signal).toBeGreaterThanOrEqual(0.3);
    expect(r.signal).toBeLessThanOrEqual(0.5);
  });

  it('⌊(n−1)/2⌋ arbitrary members (any signal, any confidence) stay inside the honest range, for random honest signals and confidences', () => {
    const finiteOrNot = fc.oneof(
      fc.double({ min: -1e6, max: 1e6, noNaN: true }),
      fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }).chain((n) =>
          fc.record({
            honest: fc.array(
              fc.record({
                s: fc.double({ min: -1, max: 1, noNaN: true }),
                c: fc.double({ min: 1e-6, max: 1, noNaN: true }),
              }),
              { minLength: n - Math.floor((n - 1) / 2), maxLength: n - Math.floor((n - 1) / 2) },
            ),
            liars: fc.array(fc.record({ s: finiteOrNot, c: finiteOrNot }), {
              minLength: Math.floor((n - 1) / 2),
              maxLength: Math.floor((n - 1) / 2),
            }),
          }),
        ),
        ({ honest, liars }) => {
          const reports = [
            ...honest.map((h, i) => report(`h${i}`, h.s, h.c)),
            ...liars.map((l, i) => report(`x${i}`, l.s, l.c)),
          ];
          const r = consensus(reports);
          expect(r.reached).toBe(true);
          const lo = Math.min(...honest.map((h) => h.s));
          const hi = Math.max(...honest.map((h) => h.s));
          expect(r.signal).toBeGreaterThanOrEqual(lo - 1e-12);
          expect(r.signal).toBeLessThanOrEqual(hi + 1e-12);
          expect(Number.isFinite(r.confidence) && r.confidence >= 0 && r.confidence <= 1).toBe(true);
        },
      ),
    );
  });
});
