import type { GatewayConfigInput } from '@orrery/core';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AgentRegistry, IntelligenceLevel, shouldUseLLM, WorkflowEngine } from '../src/index.ts';
import { sampleRegistry } from './helpers/agents.ts';
import { type LlmHarness, llmHarness, MODELS } from './helpers/llm.ts';

let h: LlmHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A step whose agent fails; a declared alternative can stand in. */
function failingRegistry(level: IntelligenceLevel = IntelligenceLevel.ADAPTIVE): AgentRegistry {
  return sampleRegistry()
    .register('quote', {
      description: 'Live quote',
      inputs: z.object({ symbol: z.string() }),
      output: z.object({ price: z.number() }),
      intelligence: level,
      alternatives: ['quote_backup'],
      run: () => {
        throw new Error('exchange down');
      },
    })
    .register('quote_backup', {
      description: 'Backup quote',
      inputs: z.object({ symbol: z.string() }),
      output: z.object({ price: z.number() }),
      run: () => ({ price: 99 }),
    });
}

const wf = { id: 'x', steps: [{ id: 'q', agent: 'quote', inputs: { symbol: { value: 'BTC' } } }] };

async function runAdaptive(harness: LlmHarness, runId: string, registry = failingRegistry()) {
  const engine = new WorkflowEngine({
    registry,
    dbPath: `${harness.dir}/runs.db`,
    gateway: harness.gateway,
    mode: 'ADAPTIVE',
    clock: harness.clock,
  });
  try {
    return await engine.run(wf, { runId });
  } finally {
    await engine.close();
  }
}

const oneCall: Partial<GatewayConfigInput> = {
  budget: { maxCallsPerHour: 1, maxTokensPerHour: 1_000_000, reserveCalls: 0, reserveTokens: 0 },
};

describe('the should-use-LLM gate', () => {
  it('budget exhausted: the fallback is chosen and no request reaches the provider', async () => {
    h = await llmHarness(oneCall);
    await h.gateway.execute({
      task: 'agent_task',
      messages: [{ role: 'user', content: 'spend the budget' }],
    });
    expect(h.gateway.budgetStatus().exhausted).toBe(true);
    expect(
      shouldUseLLM({
        gateway: h.gateway,
        mode: 'ADAPTIVE',
        hook: 'recovery',
        level: 'ADAPTIVE',
        task: 'workflow_recovery',
      }),
    ).toEqual({
      use: 'cache',
      reason: 'budget',
    });

    const result = await runAdaptive(h, 'broke');
    expect(result.status).toBe('succeeded');
    expect(result.steps.q?.via).toBe('alternative:quote_backup');
    expect(result.inferences).toEqual([
      expect.objectContaining({
        hook: 'recovery',
        source: 'fallback',
        reason: 'budget',
        choice: { action: 'alternative', agent: 'quote_backup' },
      }),
    ]);
    expect(h.server.requests).toHaveLength(1);
  });

  it('budget exhausted but the same situation was answered before: the cached answer is used', async () => {
    h = await llmHarness(oneCall);
    h.server.script(MODELS.recovery, [{ json: { action: 'give_up', reason: 'let it fail' } }]);
    const first = await runAdaptive(h, 'first');
    expect(first.status).toBe('failed');
    expect(first.inferences[0]).toMatchObject({ source: 'llm', choice: { action: 'give_up' } });
    expect(h.gateway.budgetStatus().exhausted).toBe(true);

    const second = await runAdaptive(h, 'second');
    expect(second.status).toBe('failed');
    expect(second.inferences[0]).toMatchObject({
      source: 'cache',
      reason: 'let it fail',
      choice: { action: 'give_up' },
    });
    expect(h.server.requestsFor(MODELS.recovery)).toHaveLength(1);
  });

  it('provider cooling down: the fallback is chosen without a call', async () => {
    h = await llmHarness();
    h.server.script(MODELS.recovery, [{ status: 429, retryAfter: 120 }]);
    const first = await runAdaptive(h, 'first');
    expect(first.inferences[0]).toMatchObject({ source: 'fallback', reason: 'ORRERY_LLM_RATE_LIMITED' });
    expect(h.gateway.isCoolingDown('openai', MODELS.recovery)).toBe(true);

    const second = await runAdaptive(h, 'second');
    expect(second.steps.q?.via).toBe('alternative:quote_backup');
    expect(second.inferences[0]).toMatchObject({ source: 'fallback', reason: 'cooling' });
    expect(h.server.requestsFor(MODELS.recovery)).toHaveLength(1);

    h.clock.advance(120_001);
    expect(
      shouldUseLLM({
        gateway: h.gateway,
        mode: 'ADAPTIVE',
        hook: 'recovery',
        level: 'ADAPTIVE',
        task: 'workflow_recovery',
      }),
    ).toEqual({ use: 'llm' });
  });

  it('budget exhausted: mapping, decision and adaptation each take their fallback, with no request', async () => {
    h = await llmHarness({
      budget: { maxCallsPerHour: 0, maxTokensPerHour: 1_000, reserveCalls: 0, reserveTokens: 0 },
    });
    const registry = sampleRegistry()
      .register('vendor', {
        description: 'renames its fields',
        inputs: z.object({}),
        output: z.object({ price: z.number() }),
        intelligence: IntelligenceLevel.AUTONOMOUS,
        run: () => ({ PRICE: 3 }) as unknown as { price: number },
      })
      .register('broken', {
        description: 'fails',
        inputs: z.object({}),
        output: z.object({ v: z.number() }),
        run: () => {
          throw new Error('broken');
        },
      });
    const engine = new WorkflowEngine({
      registry,
      dbPath: `${h.dir}/runs.db`,
      gateway: h.gateway,
      mode: 'CREATIVE',
      clock: h.clock,
    });
    const result = await engine.run({
      id: 'x',
      steps: [
        { id: 'v', agent: 'vendor' },
        {
          id: 'd',
          decide: { question: 'q', branches: [{ name: 'a' }, { name: 'b' }], default: 'b' },
          dependsOn: ['v'],
        },
        { id: 'x', agent: 'broken', dependsOn: ['d'] },
      ],
    });
    await engine.close();
    expect(result.steps.v).toMatchObject({ status: 'succeeded', output: { price: 3 } });
    expect(result.steps.d?.output).toEqual({ branch: 'b' });
    expect(result.status).toBe('failed');
    expect(result.inferences.map((i) => [i.hook, i.source, i.reason])).toEqual([
      ['mapping', 'fallback', 'budget'],
      ['decision', 'fallback', 'budget'],
      ['recovery', 'fallback', 'intelligence'],
      ['adaptation', 'fallback', 'budget'],
    ]);
    expect(h.server.requests).toHaveLength(0);
  });

  it('says no before looking at the provider: no gateway, mode, intelligence, unroutable task', async () => {
    h = await llmHarness();
    const base = {
      gateway: h.gateway,
      mode: 'ADAPTIVE',
      hook: 'recovery',
      level: 'ADAPTIVE',
      task: 'workflow_recovery',
    } as const;
    expect(shouldUseLLM(base)).toEqual({ use: 'llm' });
    expect(shouldUseLLM({ ...base, gateway: undefined })).toEqual({ use: 'fallback', reason: 'no_gateway' });
    expect(shouldUseLLM({ ...base, mode: 'STRICT' })).toEqual({ use: 'fallback', reason: 'mode' });
    expect(shouldUseLLM({ ...base, hook: 'adaptation' })).toEqual({ use: 'fallback', reason: 'mode' });
    expect(shouldUseLLM({ ...base, mode: 'CREATIVE', hook: 'adaptation' })).toEqual({
      use: 'fallback',
      reason: 'intelligence',
    });
    expect(shouldUseLLM({ ...base, mode: 'CREATIVE', hook: 'adaptation', level: undefined })).toEqual({
      use: 'llm',
    });
    expect(shouldUseLLM({ ...base, level: 'BASIC' })).toEqual({ use: 'fallback', reason: 'intelligence' });
    expect(shouldUseLLM({ ...base, hook: 'decision', level: 'BASIC' })).toEqual({ use: 'llm' });
    expect(shouldUseLLM({ ...base, task: 'nowhere' })).toEqual({ use: 'fallback', reason: 'unroutable' });
  });
});
