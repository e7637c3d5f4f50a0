import { createHash } from 'node:crypto';
import type { LlmRecordedRequest, LlmReply } from '@orrery/testkit';
import { describe, expect, it } from 'vitest';
import { type CycleRecord, createSolarSystem } from '../src/index.ts';
import { referenceBars } from './helpers/fixtures.ts';
import { llmHarness, MODELS, promptText } from './helpers/llm.ts';
import { runBars } from './helpers/system.ts';

const bars = referenceBars().slice(0, 160);
const config = { mode: { fullAgentStakes: 0.02 }, critic: { minTradeFraction: 0.02 } };

const keyOf = (req: LlmRecordedRequest) => `${req.model}\n${promptText(req.body)}`;

/** Answers that vary with the prompt (so a mix-up between requests would show), valid for each role. */
function varied(req: LlmRecordedRequest): LlmReply {
  const h = createHash('sha256').update(keyOf(req)).digest();
  const u = (i: number) => (h[i] as number) / 255;
  switch (req.model) {
    case MODELS.planet:
      return { json: { plan: ['read'], signal: 2 * u(0) - 1, confidence: u(1), reasons: [`r${h[2]}`] } };
    case MODELS.local:
      return { json: { summary: 's', sentiment: 2 * u(0) - 1, confidence: u(1) } };
    case MODELS.sun:
    case MODELS.backupSun:
      return u(3) < 0.3
        ? { json: { type: 'tool', tool: 'ask_planet', planet: 'technical' } }
        : {
            json: {
              type: 'decision',
              action: u(0) < 0.5 ? 'buy' : 'hold',
              targetFraction: 0.3 * u(1),
              confidence: u(2),
              rationale: `because ${h[4]}`,
            },
          };
    case MODELS.critic:
      return { json: { verdict: u(0) < 0.5 ? 'approve' : 'reduce', scale: u(1), reasons: ['x'] } };
    default:
      return { status: 404 };
  }
}

const essence = (r: CycleRecord) => ({
  mode: r.mode,
  modeReason: r.modeReason,
  decision: r.decision,
  consensusDecision: r.consensusDecision,
  fallback: r.fallback,
  calls: r.calls,
  planets: r.planets,
  critic: r.critic,
  reasoning: r.reasoning,
  clamps: r.clamps,
});

describe('determinism', () => {
  it('the same bars and the same recorded LLM answers give the same decisions', async () => {
    const recorded = new Map<string, LlmReply>();
    const first = await llmHarness();
    const second = await llmHarness();
    try {
      first.server.setDefault((req) => {
        const reply = varied(req);
        recorded.set(keyOf(req), reply);
        return reply;
      });
      const misses: string[] = [];
      second.server.setDefault((req) => {
        const reply = recorded.get(keyOf(req));
        if (reply === undefined) misses.push(keyOf(req).slice(0, 200));
        return reply ?? { status: 500, message: 'not recorded' };
      });
      const a = createSolarSystem({ config, gateway: first.gateway, clock: first.clock });
      const b = createSolarSystem({ config, gateway: second.gateway, clock: second.clock });
      const ra = await runBars(a, bars);
      const rb = await runBars(b, bars);
      await a.stop();
      await b.stop();
      expect(misses).toEqual([]);
      expect(second.server.requests.length).toBe(first.server.requests.length);
      expect(ra.some((r) => r.mode === 'FULL_AGENT')).toBe(true);
      expect(ra.some((r) => r.mode === 'LIGHT_REASONING')).toBe(true);
      expect(ra.some((r) => r.decision.action !== 'hold')).toBe(true);
      expect(rb.map(essence)).toEqual(ra.map(essence));
    } finally {
      await first.close();
      await second.close();
    }
  });
});
