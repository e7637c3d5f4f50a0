import { ManualClock } from '@orrery/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createAgentRegistry,
  INTELLIGENCE_MATRIX,
  InferenceRefusedError,
  IntelligenceLevel,
  levelAllows,
  WorkflowEngine,
} from '../src/index.ts';
import { type LlmHarness, llmHarness, MODELS } from './helpers/llm.ts';

let h: LlmHarness;
beforeEach(async () => {
  h = await llmHarness();
});
afterEach(async () => {
  await h.close();
});

/** An agent that asks for `tries` LLM calls and reports what happened to each. */
function thinker(level: IntelligenceLevel, tries: number) {
  return createAgentRegistry().register('thinker', {
    description: 'asks the LLM',
    inputs: z.object({}),
    output: z.object({ outcomes: z.array(z.string()) }),
    intelligence: level,
    run: async (_, ctx) => {
      const outcomes: string[] = [];
      for (let i = 0; i < tries; i++) {
        try {
          await ctx.infer({ task: 'agent_task', messages: [{ role: 'user', content: `thought ${i}` }] });
          outcomes.push('ok');
        } catch (err) {
          outcomes.push(err instanceof InferenceRefusedError ? `refused:${err.capability}` : String(err));
        }
      }
      return { outcomes };
    },
  });
}

async function outcomes(level: IntelligenceLevel, tries: number, gateway = true) {
  const engine = new WorkflowEngine({
    registry: thinker(level, tries),
    dbPath: ':memory:',
    gateway: gateway ? h.gateway : undefined,
    clock: new ManualClock(),
  });
  const result = await engine.run({ id: 'x', steps: [{ id: 't', agent: 'thinker' }] });
  await engine.close();
  return (result.steps.t?.output as { outcomes: string[] } | undefined)?.outcomes;
}

describe('intelligence levels restrict what an agent may ask of an LLM', () => {
  it('BASIC and ADAPTIVE agents are refused with a typed error, and no call is made', async () => {
    expect(await outcomes('BASIC', 1)).toEqual(['refused:reasoning']);
    expect(await outcomes('ADAPTIVE', 1)).toEqual(['refused:reasoning']);
    expect(h.server.requests).toHaveLength(0);
  });

  it('INTELLIGENT agents get one call per attempt, AUTONOMOUS three', async () => {
    expect(await outcomes('INTELLIGENT', 2)).toEqual(['ok', 'refused:reasoning']);
    expect(await outcomes('AUTONOMOUS', 4)).toEqual(['ok', 'ok', 'ok', 'refused:reasoning']);
    expect(h.server.requestsFor(MODELS.agent)).toHaveLength(4);
    // Calls are made as the agent.
    const agents = h.gateway.ledger.since(0).map((e) => e.agent);
    expect(agents).toEqual(Array(4).fill('workflow:thinker'));
  });

  it('without a gateway every request is refused', async () => {
    expect(await outcomes('AUTONOMOUS', 1, false)).toEqual(['refused:reasoning']);
  });

  it('the error names the agent, its level and what it asked for', () => {
    const err = new InferenceRefusedError({
      agent: 'a',
      level: 'BASIC',
      capability: 'reasoning',
      reason: 'not allowed at BASIC',
    });
    expect(err.message).toBe(
      'agent a (BASIC) may not ask for reasoning: not allowed at BASIC; no LLM call made',
    );
    expect(err.code).toBe('ORRERY_WORKFLOW_INFERENCE_REFUSED');
  });

  it('the matrix, as documented', () => {
    const table = Object.fromEntries(
      Object.values(IntelligenceLevel).map((level) => [
        level,
        [
          levelAllows(level, 'recovery'),
          levelAllows(level, 'mapping'),
          INTELLIGENCE_MATRIX[level].reasoningCalls,
          levelAllows(level, 'adaptation'),
        ],
      ]),
    );
    expect(table).toEqual({
      BASIC: [false, false, 0, false],
      ADAPTIVE: [true, true, 0, false],
      INTELLIGENT: [true, true, 1, false],
      AUTONOMOUS: [true, true, 3, true],
    });
  });
});
