import { LocalBus } from '@orrery/bus';
import { systemClock } from '@orrery/core';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { parseSolarSystemConfig } from '../src/config.ts';
import { ConsultDesk } from '../src/consult/desk.ts';
import type { CycleRecord } from '../src/cycle-record.ts';
import { peekable } from '../src/moons/moon.ts';
import { moonFactories } from '../src/moons/registry.ts';
import { BUILTIN_PLANETS, createPlanet } from '../src/planets/create-planet.ts';
import type { Planet } from '../src/planets/planet.ts';
import { cycleDirect } from '../src/sun/cycle-direct.ts';
import { sunMachine } from '../src/sun/machine.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { FLAT } from './helpers/system.ts';

// Every cycle MONITOR_ONLY: no material change ever, no volatility spike.
const quiet = { materialChange: { warmupBars: 1_000_000_000 }, moons: { spikeTrMultiple: 1e9 } };

/** A symbol's sun on its own (what the orchestrator spawns), with the built-in planets and `extra`. */
function startSun(extra: (() => Planet)[] = []) {
  const config = parseSolarSystemConfig(quiet);
  const planets = [
    ...config.planets.enabled.map(
      (kind) => () =>
        createPlanet(kind, {
          task: config.sun[BUILTIN_PLANETS[kind].sunTask],
          cache: null,
          execution: config.execution,
        }),
    ),
    ...extra,
  ].map((create) => ({ name: create().name, create }));
  const moons = moonFactories(config).map(peekable);
  const actor = createActor(sunMachine, {
    input: {
      symbol: 'X',
      config,
      gateway: null,
      memory: null,
      bus: new LocalBus(),
      desk: new ConsultDesk(),
      clock: systemClock,
      moons: moons.map((create) => ({ name: create().name, create })),
      planets,
      log: () => undefined,
      tuning: null,
      roles: Object.fromEntries(planets.map((p) => [p.name, p.create().role ?? 'forecast'])),
      routing: null,
    },
  });
  const emitted: CycleRecord[] = [];
  actor.on('cycle.done', (e) => emitted.push(e.record));
  actor.start();
  return { actor, emitted };
}

const timeless = ({ stagesMs: _s, ...rest }: CycleRecord) => rest;

describe('a MONITOR_ONLY cycle run directly on an idle sun', () => {
  it('gives the records and leaves the context the CYCLE transition does, with the sun idle', () => {
    const series = referenceBars().slice(0, 120);
    const direct = startSun();
    const machine = startSun();
    for (const [i, bar] of series.entries()) {
      // Flat, then holding a position (so the stop is kept between cycles).
      const portfolio =
        i < 60 ? FLAT : { ...FLAT, positions: { X: { qty: 400, avgPrice: series[60]!.close } } };
      const e = { type: 'CYCLE' as const, id: i + 1, input: { symbol: 'X', bar, portfolio } };
      const out = cycleDirect(direct.actor, e);
      if (!('record' in out)) throw new Error(`cycle ${i} was not run directly`);
      machine.actor.send(e);
      expect(timeless(out.record)).toEqual(timeless(machine.emitted[i] as CycleRecord));
      const [a, b] = [direct.actor.getSnapshot().context, machine.actor.getSnapshot().context];
      expect([a.barsSeen, a.stopPrice, a.faults]).toEqual([b.barsSeen, b.stopPrice, b.faults]);
    }
    expect(direct.emitted).toEqual([]);
    const a = direct.actor.getSnapshot();
    expect(a.value).toBe('idle');
    expect(a.context.barsSeen).toBe(series.length);
    expect(a.context.work).toBeNull();
  });

  it('hands a cycle with a planet to supervise to the machine, which applies the verdict', () => {
    const throwing = (): Planet => ({
      name: 'broken',
      weight: 1,
      moons: [],
      assess: () => {
        throw new Error('no view');
      },
      analyze: async () => {
        throw new Error('no view');
      },
    });
    const { actor, emitted } = startSun([throwing]);
    const e = {
      type: 'CYCLE' as const,
      id: 1,
      input: { symbol: 'X', bar: referenceBars()[0]!, portfolio: FLAT },
    };
    const out = cycleDirect(actor, e);
    if (!('send' in out)) throw new Error('a failing planet was not handed to the machine');
    expect(out.send.type).toBe('CYCLE.SENSED');
    actor.send(out.send);
    expect(emitted).toHaveLength(1);
    expect(emitted[0]?.faults.map((f) => f.child)).toEqual(['planet:broken']);
    const slot = actor.getSnapshot().context.planets.find((p) => p.name === 'broken');
    expect(slot?.gen).toBe(1); // restarted by supervision
    expect(actor.getSnapshot().context.barsSeen).toBe(1);
  });
});
