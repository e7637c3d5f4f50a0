import { LocalBus, type Message } from '@orrery/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CycleRecord,
  createSolarSystem,
  type Lateral,
  type MoonSnapshot,
  type Planet,
  type PlanetReport,
} from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness } from './helpers/llm.ts';
import { answerAll, runBars } from './helpers/system.ts';

/** A planet that reports neutral and lets a test see how it was consulted. */
function probe(name: string, act: (s: MoonSnapshot, o: Parameters<Planet['analyze']>[1]) => void): Planet {
  return {
    name,
    weight: 1,
    moons: [],
    assess: () => ({ signal: 0, confidence: 0, reasons: [] }),
    async analyze(s, o): Promise<PlanetReport> {
      act(s, o);
      return {
        planet: name,
        status: 'ok',
        source: 'deterministic',
        weight: 1,
        signal: 0,
        confidence: 0,
        reasons: ['probe'],
      };
    },
  };
}

describe('the bus is the medium of a cycle', () => {
  let h: LlmHarness;
  beforeAll(async () => {
    h = await llmHarness();
    answerAll(h.server);
  });
  afterAll(async () => h.close());

  it('consults go out as directives and come back as reports; laterals reach their planet and the sun', async () => {
    const bus = new LocalBus();
    const onBus: Message[] = [];
    bus.subscribe('>', (m) => void onBus.push(m), { broadcasts: false });
    const heard: { time: number; heard: readonly Lateral[] }[] = [];
    const scout = probe('scout', (s, o) =>
      o?.tell?.('follower', 'last-close', { close: s.bar.close, time: s.bar.time }),
    );
    const follower = probe(
      'follower',
      (s, o) => void heard.push({ time: s.bar.time, heard: o?.heard ?? [] }),
    );
    const failing = probe('failing', () => {
      throw new Error('the failing planet failed');
    });
    const sys = createSolarSystem({
      config: { mode: { minChangedForLight: 0 }, supervision: { maxRestarts: 1000 } },
      gateway: h.gateway,
      clock: h.clock,
      bus,
      planets: [() => scout, () => follower, () => failing],
    });
    const records: CycleRecord[] = await runBars(sys, referenceBars().slice(0, 120));
    const sunBox = bus.metrics().mailboxes.find((m) => m.pattern === 'sun');
    await sys.stop();
    await bus.close();

    const reasoned = records.filter((r) => r.mode !== 'MONITOR_ONLY');
    expect(reasoned.length).toBeGreaterThan(20);
    const count = (r: CycleRecord, type: string, sender: string) =>
      r.messages?.find((m) => m.type === type && m.sender === sender)?.count ?? 0;
    for (const r of records) expect(count(r, 'moon.reading', 'moon.change')).toBe(1);
    for (const r of reasoned) {
      const consulted = r.planets.filter((p) => p.status !== 'stopped').map((p) => p.planet);
      expect(count(r, 'sun.directive', 'sun')).toBe(consulted.length);
      for (const p of consulted.filter((x) => x !== 'failing'))
        expect(count(r, 'planet.report', `planet.${p}`), p).toBe(1);
      // the failing planet answered with an error envelope; the sun supervised its own error
      expect(count(r, 'error', 'planet.failing')).toBe(1);
      expect(
        r.faults.some((f) => f.child === 'planet:failing' && f.error.includes('the failing planet failed')),
      ).toBe(true);
      expect(count(r, 'planet.lateral', 'planet.scout')).toBe(1);
    }
    // what the scout said in one consult, the follower heard in its next one, about the same bar
    const scoutSaid = reasoned.map((r) => r.time);
    for (let i = 1; i < heard.length; i++) {
      expect(heard[i]!.heard).toEqual([
        { from: 'scout', topic: 'last-close', body: { close: expect.any(Number), time: scoutSaid[i - 1] } },
      ]);
    }
    expect(heard.length).toBe(reasoned.length);
    // every directive and lateral travelled on the bus; the sun got a copy of each lateral
    const directives = onBus.filter((m) => m.type === 'sun.directive');
    expect(directives.length).toBe(reasoned.reduce((a, r) => a + count(r, 'sun.directive', 'sun'), 0));
    const laterals = onBus.filter((m) => m.type === 'planet.lateral');
    expect(laterals.length).toBe(reasoned.length);
    const readings = onBus.filter((m) => m.type === 'moon.reading');
    expect(readings.length).toBe(records.length);
    const criticals = onBus.filter((m) => m.type === 'moon.critical');
    expect(criticals.length).toBe(records.reduce((a, r) => a + r.criticalUpdates.length, 0));
    // the sun's mailbox got every reading, every critical update and a copy of every lateral
    expect(sunBox?.delivered).toBe(readings.length + criticals.length + laterals.length);
  });
});
