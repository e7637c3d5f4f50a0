import { ExecutionMode } from '@orrery/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSolarSystem, solarSystemConfigSchema } from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness, MODELS } from './helpers/llm.ts';
import { answerAll, runBars } from './helpers/system.ts';

let h: LlmHarness;
beforeAll(async () => {
  h = await llmHarness();
});
afterAll(async () => h.close());
beforeEach(() => {
  h.server.reset();
  answerAll(h.server);
});

describe('agents.mode.force', () => {
  it('LIGHT_REASONING: every cycle asks the planets — warm-up and unchanged bars included, never the sun', async () => {
    const bars = referenceBars().slice(0, 60);
    const forced = createSolarSystem({
      config: { mode: { force: 'LIGHT_REASONING' }, cache: { enabled: false } },
      gateway: h.gateway,
      clock: h.clock,
    });
    const records = await runBars(forced, bars);
    await forced.stop();
    expect(records.map((r) => r.mode)).toEqual(bars.map(() => ExecutionMode.LIGHT_REASONING));
    expect(h.server.requestsFor(MODELS.sun)).toHaveLength(0);
    // the LLM planets (technical, risk, execution) each ask once per bar
    expect(h.server.requestsFor(MODELS.planet)).toHaveLength(3 * bars.length);

    // without it, the warm-up bars (nothing counts as changed) are monitor-only
    h.server.reset();
    answerAll(h.server);
    const chosen = createSolarSystem({ config: {}, gateway: h.gateway, clock: h.clock });
    const free = await runBars(chosen, bars);
    await chosen.stop();
    expect(free.slice(0, 35).every((r) => r.mode === ExecutionMode.MONITOR_ONLY)).toBe(true);
  });

  it('accepts only LIGHT_REASONING', () => {
    expect(solarSystemConfigSchema.safeParse({ mode: { force: 'FULL_AGENT' } }).success).toBe(false);
    expect(solarSystemConfigSchema.parse({ mode: { force: 'LIGHT_REASONING' } }).mode.force).toBe(
      'LIGHT_REASONING',
    );
  });
});
