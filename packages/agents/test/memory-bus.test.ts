import { LocalBus, type Message } from '@orrery/bus';
import { EpisodicMemory } from '@orrery/memory';
import { tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CycleRecord, createSolarSystem } from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';
import { answerAll, runBars } from './helpers/system.ts';

describe('with real memory (SQLite + embedded Chroma) and a real LocalBus', () => {
  const dir = tempDir('orrery-agents-memory-');
  let h: LlmHarness;
  let memory: EpisodicMemory;
  beforeAll(async () => {
    h = await llmHarness();
    answerAll(h.server);
    memory = await EpisodicMemory.open({
      dbPath: `${dir.path}/memory.db`,
      logger: { warn: () => undefined },
    });
  });
  afterAll(async () => {
    await memory?.close();
    await h.close();
    dir.remove();
  });

  it('reasoned cycles are remembered and recalled; decisions are broadcast', async () => {
    const bus = new LocalBus();
    const decrees: Message[] = [];
    bus.subscribe('client.recorder', (m) => {
      decrees.push(m);
    });
    const logs: string[] = [];
    const sys = createSolarSystem({
      config: {
        mode: { fullAgentStakes: 0.02 },
        critic: { minTradeFraction: 1, minFragility: 1, belowConfidence: 0 },
      },
      gateway: h.gateway,
      clock: h.clock,
      memory,
      bus,
      log: (m) => logs.push(m),
    });
    const records: CycleRecord[] = await runBars(sys, referenceBars().slice(0, 200));
    await sys.stop();
    await bus.close();

    const reasoned = records.filter((r) => r.mode !== 'MONITOR_ONLY');
    const full = records.filter((r) => r.mode === 'FULL_AGENT');
    expect(logs).toEqual([]);
    expect(memory.stats().episodes).toBe(reasoned.length);
    expect(full.length).toBeGreaterThan(1);
    // the first FULL cycle had nothing to recall; later ones find earlier episodes of the symbol
    expect(full[0]?.recalled).toBe(0);
    expect(full.slice(1).some((r) => (r.recalled ?? 0) > 0)).toBe(true);
    const sunPrompts = h.server.requestsFor(MODELS.sun).map((q) => promptText(q.body));
    expect(sunPrompts.some((p) => p.includes('Similar past episodes:'))).toBe(true);

    const broadcastable = records.filter(
      (r) => !(r.decision.source === 'monitor' && r.decision.action === 'hold'),
    );
    expect(decrees).toHaveLength(broadcastable.length);
    expect(decrees.every((m) => m.type === 'broadcast.decree' && m.sender === 'sun')).toBe(true);
    const first = decrees[0];
    if (first?.type === 'broadcast.decree')
      expect(first.payload.decision).toEqual({ ...broadcastable[0]?.decision });
  });
});
