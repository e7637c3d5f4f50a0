import { ExecutionMode } from '@orrery/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CycleRecord, createSolarSystem } from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { type LlmHarness, llmHarness } from './helpers/llm.ts';
import { answerAll, runBars, runFollowing } from './helpers/system.ts';

const bars = referenceBars();

function shares(records: CycleRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.mode] = (out[r.mode] ?? 0) + 1 / records.length;
  return out;
}

describe('mode selection on real data (Stock.Indicators default.csv, 502 daily bars)', () => {
  let h: LlmHarness;
  beforeAll(async () => {
    h = await llmHarness();
    answerAll(h.server);
  });
  afterAll(async () => h.close());

  it('without a gateway: mostly MONITOR_ONLY, never FULL_AGENT, and says so once', async () => {
    const logs: string[] = [];
    const sys = createSolarSystem({ gateway: null, log: (m) => logs.push(m) });
    const records = await runBars(sys, bars);
    await sys.stop();
    const s = shares(records);
    console.log(`no gateway: ${JSON.stringify(s)}`);
    expect(s[ExecutionMode.MONITOR_ONLY]).toBeGreaterThan(0.8);
    expect(s[ExecutionMode.FULL_AGENT]).toBeUndefined();
    expect(records.every((r) => r.calls === 0)).toBe(true);
    expect(logs.filter((l) => /no LLM gateway/.test(l))).toHaveLength(1);
  });

  it('with the real gateway on the loopback server: 80–90 % MONITOR_ONLY, under 5 % FULL_AGENT', async () => {
    const sys = createSolarSystem({ gateway: h.gateway, clock: h.clock });
    // the account holds what the decisions asked for, as the paper broker's would
    const records = await runFollowing(sys, bars);
    await sys.stop();
    const s = shares(records);
    const warm = records.slice(35);
    const sw = shares(warm);
    console.log(
      `with gateway, all bars: ${JSON.stringify(s)}; after the 35-bar warm-up: ${JSON.stringify(sw)}; ` +
        `LLM calls ${records.reduce((a, r) => a + r.calls, 0)} over ${records.length} cycles`,
    );
    expect(sw[ExecutionMode.MONITOR_ONLY]).toBeGreaterThanOrEqual(0.8);
    expect(sw[ExecutionMode.MONITOR_ONLY]).toBeLessThanOrEqual(0.9);
    expect(sw[ExecutionMode.FULL_AGENT] ?? 0).toBeLessThan(0.05);
    for (const r of records) {
      if (r.mode === ExecutionMode.MONITOR_ONLY) expect(r.calls).toBe(0);
    }
    expect(h.server.requests.length).toBe(records.reduce((a, r) => a + r.calls, 0));
  });
});
