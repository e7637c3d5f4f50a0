import { ManualClock } from '@orrery/core';
import { describe, expect, it } from 'vitest';
import {
  createSolarSystem,
  type Moon,
  type Planet,
  type SolarSystemConfigInput,
  SupervisionEscalatedError,
} from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { FLAT, runBars } from './helpers/system.ts';

const bars = referenceBars();
const LIGHT: SolarSystemConfigInput = {
  mode: { fullAgentStakes: 2, fullAgentFragility: 2, lowConfidence: 0 },
};

/** A moon that throws whenever `when(bar)` holds. */
const flakyMoon = (when: (volume: number) => boolean) => (): Moon<{ ok: true }> => ({
  name: 'flaky',
  empty: { ok: true },
  update: ({ bar }) => {
    if (when(bar.volume)) throw new Error('flaky moon broke');
    return { ok: true };
  },
});

describe('supervision of moons', () => {
  it('a moon that keeps throwing is restarted maxRestarts times within the window, then stopped; the rest carry on', async () => {
    const clock = new ManualClock();
    const sys = createSolarSystem({
      clock,
      moons: [flakyMoon(() => true)],
      config: { supervision: { maxRestarts: 2, windowMs: 60_000 } },
    });
    const records = await runBars(sys, bars.slice(0, 20));
    expect(records.map((r) => r.faults.map((f) => f.verdict))).toEqual([
      ['restart'],
      ['restart'],
      ['stop'],
      ...Array.from({ length: 17 }, () => []),
    ]);
    expect(records[0]?.faults[0]).toMatchObject({ child: 'moon:flaky', error: 'Error: flaky moon broke' });
    expect(records.every((r) => r.failedMoons.includes('flaky'))).toBe(true);
    expect(records[19]?.planets.every((p) => p.status === 'ok')).toBe(true);
    expect(records[19]?.failedMoons).toEqual(['flaky']);
    expect(sys.health()).toEqual([{ symbol: 'SPX', state: 'idle', stopped: ['moon:flaky'] }]);
    await sys.stop();
  });

  it('failures spread out beyond the window never exhaust the restarts (the injected clock decides)', async () => {
    const clock = new ManualClock();
    const sys = createSolarSystem({
      clock,
      moons: [flakyMoon(() => true)],
      config: { supervision: { maxRestarts: 1, windowMs: 1_000 } },
    });
    for (const bar of bars.slice(0, 6)) {
      const r = await sys.cycle({ symbol: 'SPX', bar, portfolio: FLAT });
      expect(r.faults.map((f) => f.verdict)).toEqual(['restart']);
      clock.advance(1_000);
    }
    await sys.stop();
  });

  it('under an escalate policy the symbol’s sun stops with SupervisionEscalatedError; other symbols go on', async () => {
    const sentinel = 4242;
    const sys = createSolarSystem({
      moons: [flakyMoon((v) => v === sentinel)],
      config: { supervision: { maxRestarts: 0, onExhausted: 'escalate' } },
    });
    const [a, b] = bars;
    await expect(
      sys.cycle({ symbol: 'AAA', bar: { ...a!, volume: sentinel }, portfolio: FLAT }),
    ).rejects.toBeInstanceOf(SupervisionEscalatedError);
    const again = await sys.cycle({ symbol: 'AAA', bar: b!, portfolio: FLAT }).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(SupervisionEscalatedError);
    expect((again as SupervisionEscalatedError).child).toBe('moon:flaky');
    const other = await sys.cycle({ symbol: 'BBB', bar: a!, portfolio: FLAT });
    expect(other.faults).toEqual([]);
    expect(sys.health().find((s) => s.symbol === 'AAA')?.state).toBe('escalated');
    await sys.stop();
  });
});

describe('supervision of planets', () => {
  it('a planet that hangs has failed for the cycle at its time limit; consensus goes on without it; it is restarted', async () => {
    let created = 0;
    const sloth = (): Planet => {
      created += 1;
      return {
        name: 'sloth',
        weight: 1,
        moons: [],
        assess: () => ({ signal: 0, confidence: 0.5, reasons: ['slow but honest'] }),
        analyze: () => new Promise<never>(() => undefined), // ignores its abort signal too
      };
    };
    // every planet consulted (no routing tree), so two of the three forecast planets still make a quorum
    const sys = createSolarSystem({
      config: { ...LIGHT, planetTimeoutMs: 150, routing: false },
      planets: [sloth],
    });
    const records = await runBars(sys, bars.slice(0, 35));
    const createdBefore = created;
    const r = await sys.cycle({ symbol: 'SPX', bar: bars[35]!, portfolio: FLAT });
    await sys.stop();
    expect(r.mode).toBe('LIGHT_REASONING');
    expect(r.planets.find((p) => p.planet === 'sloth')).toMatchObject({ status: 'timeout', confidence: 0 });
    expect(r.faults).toEqual([
      expect.objectContaining({
        child: 'planet:sloth',
        code: 'ORRERY_AGENTS_PLANET_TIMEOUT',
        verdict: 'restart',
      }),
    ]);
    expect(r.decision.source).toBe('consensus');
    expect(created).toBe(createdBefore + 1);
    // the monitor-only warm-up never asked it to analyze, so it never hung there
    expect(records.every((x) => x.faults.length === 0)).toBe(true);
  });

  it('a planet whose deterministic analysis throws is faulty that cycle, in any mode', async () => {
    const broken = (): Planet => ({
      name: 'broken',
      weight: 1,
      moons: [],
      assess: () => {
        throw new TypeError('bug in assess');
      },
      analyze: () => Promise.reject(new TypeError('bug in analyze')),
    });
    const sys = createSolarSystem({ planets: [broken], config: { supervision: { maxRestarts: 1 } } });
    const records = await runBars(sys, bars.slice(0, 3));
    await sys.stop();
    expect(records[0]?.planets.find((p) => p.planet === 'broken')).toMatchObject({ status: 'failed' });
    expect(records.map((r) => r.faults.map((f) => f.verdict))).toEqual([['restart'], ['stop'], []]);
    expect(records[2]?.planets.find((p) => p.planet === 'broken')?.status).toBe('stopped');
  });
});
