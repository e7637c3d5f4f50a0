import { LocalBus, type Message } from '@orrery/bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bar, createSolarSystem, parseSolarSystemConfig } from '../src/index.ts';
import { peekable } from '../src/moons/moon.ts';
import { moonFactories } from '../src/moons/registry.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness } from './helpers/llm.ts';
import { answerAll, FLAT } from './helpers/system.ts';

/** A bar still forming after `bar`: open at the last close, a crash of `drop` (fraction) so far. */
function crashing(prev: Bar, time: number, drop: number): Bar {
  const open = prev.close;
  const close = open * (1 - drop);
  return { time, open, high: open * 1.001, low: close * 0.999, close, volume: 10 };
}

describe('peeking at a bar still forming', () => {
  it('changes no moon state: after any peeks, every moon reads the final bar as if never peeked', () => {
    const config = parseSolarSystemConfig({});
    const bars = referenceBars().slice(0, 120);
    const peeked = moonFactories(config).map((f) => peekable(f)());
    const plain = moonFactories(config).map((f) => peekable(f)());
    const feed = (moons: typeof plain, bar: Bar, peek: boolean) => {
      const readings: Record<string, unknown> = {};
      for (const m of moons) {
        const input = { bar, readings, positionQty: 0 };
        readings[m.name] = peek ? m.peek!(input) : m.update(input);
      }
      return readings;
    };
    for (const [i, bar] of bars.entries()) {
      if (i > 0) {
        // Two polls of the forming bar: a mild one and a crash.
        feed(peeked, { ...bar, close: bar.open, high: bar.open, low: bar.open }, true);
        feed(peeked, crashing(bars[i - 1]!, bar.time, 0.2), true);
      }
      expect(feed(peeked, bar, false)).toEqual(feed(plain, bar, false));
    }
  });

  it('previews a bar exactly where the moon can (ATR and the alerts), and reports the last close elsewhere', () => {
    const config = parseSolarSystemConfig({});
    const bars = referenceBars().slice(0, 60);
    const moons = moonFactories(config).map((f) => peekable(f)());
    let last: Record<string, unknown> = {};
    for (const bar of bars.slice(0, -1)) {
      last = {};
      for (const m of moons) last[m.name] = m.update({ bar, readings: last, positionQty: 0 });
    }
    const next = crashing(bars.at(-2)!, bars.at(-1)!.time, 0.2);
    const peek: Record<string, unknown> = {};
    for (const m of moons) peek[m.name] = m.peek!({ bar: next, readings: peek, positionQty: 0 });
    expect((peek.alerts as { critical: string[] }).critical.join()).toMatch(/^volatility spike: true range/);
    expect(peek.rsi).toEqual(last.rsi);
    const after: Record<string, unknown> = {};
    for (const m of moons) after[m.name] = m.update({ bar: next, readings: after, positionQty: 0 });
    expect(peek.atr).toEqual(after.atr);
    expect(peek.alerts).toEqual(after.alerts);
  });
});

describe('SolarSystem.wake', () => {
  const bars = referenceBars().slice(0, 80);

  it('does nothing on a quiet forming bar: no cycle, and the close is cycled as if never woken', async () => {
    const woken = createSolarSystem({ gateway: null });
    const never = createSolarSystem({ gateway: null });
    try {
      for (const bar of bars.slice(0, -1)) {
        await woken.cycle({ symbol: 'X', bar, portfolio: FLAT });
        await never.cycle({ symbol: 'X', bar, portfolio: FLAT });
      }
      const last = bars.at(-1)!;
      const forming = { ...last, close: last.open, high: last.open, low: last.open };
      expect(
        await woken.wake({ symbol: 'X', bar: forming, portfolio: FLAT, asOf: last.time + 1 }),
      ).toBeNull();
      const a = await woken.cycle({ symbol: 'X', bar: last, portfolio: FLAT });
      const b = await never.cycle({ symbol: 'X', bar: last, portfolio: FLAT });
      expect({ ...a, stagesMs: {} }).toEqual({ ...b, stagesMs: {} });
    } finally {
      await woken.stop();
      await never.stop();
    }
  });

  it('a crash mid-bar publishes moon.critical at critical priority and runs an unscheduled cycle', async () => {
    const bus = new LocalBus();
    const heard: Message[] = [];
    bus.subscribe('sun', (m) => void heard.push(m), { broadcasts: false });
    const sys = createSolarSystem({ gateway: null, bus });
    try {
      for (const bar of bars.slice(0, -1)) await sys.cycle({ symbol: 'X', bar, portfolio: FLAT });
      const last = bars.at(-1)!;
      const asOf = last.time + 1234;
      const record = await sys.wake({
        symbol: 'X',
        bar: crashing(bars.at(-2)!, last.time, 0.2),
        portfolio: FLAT,
        asOf,
      });
      expect(record).not.toBeNull();
      expect(record!.wokenBy).toEqual({
        by: 'moon.critical',
        reasons: record!.criticalUpdates,
        asOf,
        barTime: last.time,
      });
      expect(record!.time).toBe(asOf);
      expect(record!.criticalUpdates[0]).toMatch(/^volatility spike/);
      expect(record!.mode).not.toBe('MONITOR_ONLY');
      expect(record!.modeReason).toMatch(/critical update/);
      expect(record!.messages).toContainEqual({ type: 'moon.critical', sender: 'moon.alerts', count: 1 });
      await new Promise((r) => setImmediate(r));
      const critical = heard.filter((m) => m.type === 'moon.critical');
      expect(critical).toHaveLength(1);
      expect(critical[0]).toMatchObject({
        priority: 'critical',
        time: asOf,
        payload: { metric: 'critical.intrabar' },
      });
      // The bar's close is still cycled (a wake does not advance the symbol's time) and is not a wake.
      const closed = await sys.cycle({ symbol: 'X', bar: last, portfolio: FLAT });
      expect(closed.wokenBy).toBeUndefined();
      expect(closed.time).toBe(last.time);
    } finally {
      await sys.stop();
      await bus.close();
    }
  });
});

describe('SolarSystem.wake with an LLM', () => {
  let h: LlmHarness;
  beforeAll(async () => {
    h = await llmHarness();
    answerAll(h.server);
  });
  afterAll(async () => h.close());

  it('reasons like any cycle: planets and the sun asked through per-cycle permits, calls in its record', async () => {
    const sys = createSolarSystem({ gateway: h.gateway, clock: h.clock });
    const bars = referenceBars().slice(0, 80);
    try {
      for (const bar of bars.slice(0, -1)) await sys.cycle({ symbol: 'X', bar, portfolio: FLAT });
      const before = h.server.requests.length;
      const last = bars.at(-1)!;
      const asOf = last.time + 1_000;
      const r = await sys.wake({
        symbol: 'X',
        bar: crashing(bars.at(-2)!, last.time, 0.2),
        portfolio: FLAT,
        asOf,
      });
      expect(r!.mode).toBe('FULL_AGENT');
      expect(r!.calls).toBeGreaterThan(0);
      expect(h.server.requests.length - before).toBe(r!.calls);
      expect(r!.reasoning).toBeDefined();
    } finally {
      await sys.stop();
    }
  });
});
