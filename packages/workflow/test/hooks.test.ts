import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AgentRegistry,
  InferenceRefusedError,
  IntelligenceLevel,
  WorkflowEngine,
  type WorkflowEngineOptions,
  type WorkflowMode,
} from '../src/index.ts';
import { ManualScheduler, sampleRegistry, waitFor } from './helpers/agents.ts';
import { type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';

let h: LlmHarness;
let engines: WorkflowEngine[];
beforeEach(async () => {
  h = await llmHarness();
  engines = [];
});
afterEach(async () => {
  for (const e of engines) await e.close();
  await h.close();
});

function engine(registry: AgentRegistry, mode: WorkflowMode, extra: Partial<WorkflowEngineOptions> = {}) {
  const e = new WorkflowEngine({
    registry,
    dbPath: `${h.dir}/runs.db`,
    gateway: h.gateway,
    mode,
    clock: h.clock,
    ...extra,
  });
  engines.push(e);
  return e;
}

describe('error recovery hook', () => {
  function analystRegistry() {
    return sampleRegistry().register('analyst', {
      description: 'Scores the market with one LLM call',
      inputs: z.object({}),
      output: z.object({ score: z.number() }),
      intelligence: IntelligenceLevel.INTELLIGENT,
      run: async (_, ctx) => {
        const res = await ctx.infer({
          task: 'agent_task',
          messages: [{ role: 'user', content: 'score the market' }],
          schema: z.object({ score: z.number() }),
        });
        return { score: res.parsed?.score ?? 0 };
      },
    });
  }

  it('a 429 in a step: the model chooses "retry later", no earlier than the cooldown allows', async () => {
    h.server.script(MODELS.agent, [{ status: 429, retryAfter: 30 }, { json: { score: 0.7 } }]);
    h.server.script(MODELS.recovery, [
      { json: { action: 'retry_later', delayMs: 60_000, reason: 'rate limited' } },
    ]);
    const scheduler = new ManualScheduler();
    const done = engine(analystRegistry(), 'ADAPTIVE', { scheduler }).run({
      id: 'x',
      steps: [{ id: 'a', agent: 'analyst' }],
    });
    await waitFor(() => scheduler.pending.some((p) => p.ms === 60_000), 'the retry delay');
    h.clock.advance(60_000);
    scheduler.fire(60_000);
    const result = await done;
    expect(result.status).toBe('succeeded');
    expect(result.steps.a).toMatchObject({ via: 'retry', attempts: 2, output: { score: 0.7 } });
    expect(h.server.requestsFor(MODELS.agent)).toHaveLength(2);
    const prompt = promptText(h.server.requestsFor(MODELS.recovery)[0]);
    expect(prompt).toContain('Cause: [ORRERY_LLM_RATE_LIMITED]');
    expect(prompt).toContain('answered 429');
    expect(prompt).toContain('retry_later: run the same agent again after delayMs (60000..60000 ms)');
  });

  it('an answer outside the allowed options is refused by its schema; the fallback decides', async () => {
    h.server.script(MODELS.agent, [{ status: 429 }]);
    // Too early: the pair cools for 60 s.
    h.server.script(MODELS.recovery, [{ json: { action: 'retry_later', delayMs: 1_000 } }]);
    const result = await engine(analystRegistry(), 'ADAPTIVE').run({
      id: 'x',
      steps: [{ id: 'a', agent: 'analyst' }],
    });
    expect(result.status).toBe('failed');
    expect(result.inferences).toEqual([
      expect.objectContaining({
        hook: 'recovery',
        source: 'fallback',
        reason: 'ORRERY_LLM_RESPONSE_FORMAT',
        choice: { action: 'give_up' },
      }),
    ]);
  });

  it('"cached": the last good output of the agent for the same input stands in', async () => {
    let fail = false;
    const registry = sampleRegistry().register('quote', {
      description: 'Live quote',
      inputs: z.object({ symbol: z.string() }),
      output: z.object({ price: z.number() }),
      intelligence: IntelligenceLevel.ADAPTIVE,
      run: () => {
        if (fail) throw new Error('exchange down');
        return { price: 101 };
      },
    });
    const wf = {
      id: 'x',
      steps: [{ id: 'q', agent: 'quote', inputs: { symbol: { value: 'BTC' } } }],
      outputs: { p: { from: 'q.price' } },
    };
    const e = engine(registry, 'ADAPTIVE');
    expect((await e.run(wf, { runId: 'good' })).outputs).toEqual({ p: 101 });
    fail = true;
    h.server.script(MODELS.recovery, [{ json: { action: 'cached' } }]);
    const result = await e.run(wf, { runId: 'bad' });
    expect(result.status).toBe('succeeded');
    expect(result.steps.q).toMatchObject({ via: 'cached', output: { price: 101 } });
    expect(promptText(h.server.requestsFor(MODELS.recovery)[0])).toContain(
      '- cached: reuse the last good output',
    );
  });
});

describe('ambiguous data (mapping) hook', () => {
  function vendorRegistry(output: unknown, level: IntelligenceLevel = IntelligenceLevel.ADAPTIVE) {
    return sampleRegistry().register('vendor', {
      description: 'Third-party quote API',
      inputs: z.object({}),
      output: z.object({ price: z.number(), symbol: z.string() }),
      intelligence: level,
      run: () => output as { price: number; symbol: string },
    });
  }
  const wf = { id: 'x', steps: [{ id: 'v', agent: 'vendor' }], outputs: { price: { from: 'v.price' } } };

  it('the model proposes a field mapping; the mapped data is validated; the mapping is remembered', async () => {
    h.server.script(MODELS.mapping, [
      {
        json: {
          mappings: [
            { from: 'Px', to: 'price', coerce: 'number' },
            { from: 'sym', to: 'symbol' },
          ],
          reason: 'renamed',
        },
      },
    ]);
    const e = engine(vendorRegistry({ Px: '101.5', sym: 'BTC' }), 'ADAPTIVE');
    const first = await e.run(wf, { runId: 'one' });
    expect(first.status).toBe('succeeded');
    expect(first.steps.v).toMatchObject({ via: 'agent+mapped', output: { price: 101.5, symbol: 'BTC' } });
    expect(first.inferences[0]).toMatchObject({ hook: 'mapping', source: 'llm' });
    const prompt = promptText(h.server.requestsFor(MODELS.mapping)[0]);
    expect(prompt).toContain('"Px":"101.5"');
    expect(prompt).toContain('price: Invalid input');

    const second = await e.run(wf, { runId: 'two' });
    expect(second.outputs).toEqual({ price: 101.5 });
    expect(second.inferences[0]).toMatchObject({ hook: 'mapping', source: 'cache' });
    expect(h.server.requestsFor(MODELS.mapping)).toHaveLength(1);
  });

  it('a mapping that does not validate is discarded for the deterministic one', async () => {
    h.server.script(MODELS.mapping, [{ json: { mappings: [{ from: 'nope', to: 'price' }] } }]);
    const result = await engine(vendorRegistry({ PRICE: '7', Symbol: 'ETH' }), 'ADAPTIVE').run(wf);
    expect(result.steps.v).toMatchObject({ status: 'succeeded', output: { price: 7, symbol: 'ETH' } });
    expect(result.inferences[0]).toMatchObject({ source: 'fallback', reason: 'mapping_invalid' });
  });

  it('a BASIC agent gets the deterministic mapping only, and fails when it does not fit', async () => {
    const ok = await engine(vendorRegistry({ PRICE: 7, symbol: 'ETH' }, 'BASIC'), 'ADAPTIVE').run(wf);
    expect(ok.steps.v).toMatchObject({ status: 'succeeded', output: { price: 7, symbol: 'ETH' } });
    expect(ok.inferences[0]).toMatchObject({ source: 'fallback', reason: 'intelligence' });
    // A separate file: the first run's output is remembered and recovery would serve it as cached.
    const bad = await engine(vendorRegistry({ cost: 7 }, 'BASIC'), 'ADAPTIVE', {
      dbPath: `${h.dir}/other.db`,
    }).run(wf);
    expect(bad.error).toMatchObject({ code: 'ORRERY_WORKFLOW_STEP_OUTPUT', stepId: 'v' });
    expect(h.server.requests).toHaveLength(0);
  });
});

describe('decision point hook', () => {
  const wf = {
    id: 'x',
    steps: [
      { id: 'p', agent: 'prices', inputs: { symbol: { value: 'BTC' } } },
      {
        id: 'd',
        decide: {
          question: 'Hold or hedge?',
          branches: [
            { name: 'hold', description: 'do nothing' },
            { name: 'hedge', description: 'buy protection', if: { from: 'p.last', op: 'gt', value: 100 } },
            { name: 'sell', description: 'exit', if: { from: 'p.last', op: 'lt', value: 50 } },
          ],
          default: 'hold',
        },
        inputs: { last: { from: 'p.last' } },
      },
      {
        id: 'h',
        agent: 'report',
        inputs: { title: { value: 'hedge' }, value: { from: 'p.last' } },
        when: { from: 'd.branch', value: 'hedge' },
      },
    ],
  };

  it('several valid branches: the model chooses one of them', async () => {
    h.server.script(MODELS.decision, [{ json: { branch: 'hedge', reason: 'price is high' } }]);
    const result = await engine(sampleRegistry(), 'ADAPTIVE').run(wf);
    expect(result.steps.d).toMatchObject({ output: { branch: 'hedge' }, via: 'decision:llm' });
    expect(result.steps.h?.status).toBe('succeeded');
    expect(result.inferences[0]).toMatchObject({
      hook: 'decision',
      source: 'llm',
      choice: { branch: 'hedge', valid: ['hold', 'hedge'] },
    });
    const prompt = promptText(h.server.requestsFor(MODELS.decision)[0]);
    expect(prompt).toContain('- hedge: buy protection');
    expect(prompt).not.toContain('- sell');
    expect(prompt).toContain('"last":104');
  });

  it('a branch that is not valid cannot be chosen: the default is taken', async () => {
    h.server.script(MODELS.decision, [{ json: { branch: 'sell' } }]);
    const result = await engine(sampleRegistry(), 'ADAPTIVE').run(wf);
    expect(result.steps.d).toMatchObject({ output: { branch: 'hold' }, via: 'decision:rule' });
    expect(result.steps.h).toMatchObject({ status: 'skipped', via: 'condition' });
  });
});

describe('adaptation hook', () => {
  function watcherRegistry(level: IntelligenceLevel) {
    return sampleRegistry().register('watcher', {
      description: 'Watches volatility',
      inputs: z.object({}),
      output: z.object({ refused: z.string().optional() }),
      intelligence: level,
      run: (_, ctx) => {
        try {
          ctx.requestAdaptation('volatility spiked');
          return {};
        } catch (err) {
          if (err instanceof InferenceRefusedError) return { refused: err.code };
          throw err;
        }
      },
    });
  }
  const wf = {
    id: 'x',
    steps: [
      { id: 'w', agent: 'watcher' },
      {
        id: 'later',
        agent: 'report',
        inputs: { title: { value: 'normal' }, value: { value: 1 } },
        dependsOn: ['w'],
      },
    ],
  };
  const calm = {
    action: 'replace',
    steps: [
      {
        id: 'calm',
        agent: 'report',
        inputs: { title: { value: 'calm down' }, value: { value: 0 } },
        dependsOn: ['w'],
      },
    ],
    outputs: { text: { from: 'calm.text' } },
  };

  it('CREATIVE: an AUTONOMOUS agent reports changed conditions and the model revises what has not started', async () => {
    h.server.script(MODELS.adaptation, [{ json: calm }]);
    const result = await engine(watcherRegistry('AUTONOMOUS'), 'CREATIVE').run(wf, { runId: 'adapt' });
    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ text: 'calm down: 0' });
    expect(result.steps.later).toBeUndefined();
    expect(result.revision).toBe(1);
    expect(promptText(h.server.requestsFor(MODELS.adaptation)[0])).toContain(
      'Step w reports that conditions changed: volatility spiked',
    );
  });

  it('ADAPTIVE: the request is recorded and the workflow is kept', async () => {
    const result = await engine(watcherRegistry('AUTONOMOUS'), 'ADAPTIVE').run(wf);
    expect(result.steps.later?.status).toBe('succeeded');
    expect(result.inferences).toEqual([
      expect.objectContaining({ hook: 'adaptation', source: 'fallback', reason: 'mode' }),
    ]);
    expect(h.server.requests).toHaveLength(0);
  });

  it('a non-AUTONOMOUS agent may not ask for a revision', async () => {
    const result = await engine(watcherRegistry('INTELLIGENT'), 'CREATIVE').run(wf);
    expect(result.steps.w?.output).toEqual({ refused: 'ORRERY_WORKFLOW_INFERENCE_REFUSED' });
    expect(result.steps.later?.status).toBe('succeeded');
    expect(h.server.requests).toHaveLength(0);
  });

  it('an invalid revision is repaired once, then rejected: the workflow is kept and the failure stands', async () => {
    const registry = sampleRegistry().register('broken', {
      description: 'always fails',
      inputs: z.object({}),
      output: z.object({ v: z.number() }),
      run: () => {
        throw new Error('broken');
      },
    });
    h.server.script(MODELS.adaptation, [
      { json: { action: 'replace', steps: [{ id: 'x1', agent: 'rocket' }] } },
      {
        json: {
          action: 'replace',
          steps: [{ id: 'x2', agent: 'mean', inputs: { values: { from: 'b.v' } } }],
        },
      },
    ]);
    const result = await engine(registry, 'CREATIVE').run({
      id: 'x',
      steps: [
        { id: 'b', agent: 'broken' },
        { id: 'm', agent: 'mean', inputs: { values: { value: [1] } }, dependsOn: ['b'] },
      ],
    });
    expect(result.status).toBe('failed');
    expect(result.error?.stepId).toBe('b');
    expect(result.revision).toBe(0);
    expect(result.inferences).toEqual([
      // A BASIC agent: recovery uses its fallback without asking.
      expect.objectContaining({
        hook: 'recovery',
        source: 'fallback',
        reason: 'intelligence',
        choice: { action: 'give_up' },
      }),
      expect.objectContaining({ hook: 'adaptation', source: 'fallback', reason: 'revision_rejected' }),
    ]);
    const requests = h.server.requestsFor(MODELS.adaptation);
    expect(requests).toHaveLength(2);
    expect(promptText(requests[1])).toContain('[UNKNOWN_AGENT]');
  });
});
