import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AgentRegistry, IntelligenceLevel, WorkflowEngine, type WorkflowMode } from '../src/index.ts';
import { sampleRegistry, waitFor } from './helpers/agents.ts';
import { type LlmHarness, llmHarness, MODELS, promptText } from './helpers/llm.ts';

let h: LlmHarness;
let calls: string[];
let registry: AgentRegistry;

beforeEach(async () => {
  h = await llmHarness();
  calls = [];
  registry = sampleRegistry()
    .register('quote', {
      description: 'Live quote from the primary exchange',
      inputs: z.object({ symbol: z.string() }),
      output: z.object({ price: z.number() }),
      intelligence: IntelligenceLevel.ADAPTIVE,
      alternatives: ['quote_backup'],
      run: () => {
        calls.push('quote');
        throw new Error('exchange down'); // the injected failure
      },
    })
    .register('quote_backup', {
      description: 'Quote from the backup exchange',
      inputs: z.object({ symbol: z.string() }),
      output: z.object({ price: z.number() }),
      run: () => {
        calls.push('quote_backup');
        return { price: 99 };
      },
    })
    .register('estimate', {
      description: 'Estimated price from yesterday’s close',
      inputs: z.object({ symbol: z.string() }),
      output: z.object({ price: z.number() }),
      run: () => {
        calls.push('estimate');
        return { price: 98 };
      },
    });
});
afterEach(async () => {
  await h.close();
});

const workflow = {
  id: 'quote_report',
  steps: [
    { id: 'q', agent: 'quote', inputs: { symbol: { value: 'BTC' } } },
    { id: 'r', agent: 'report', inputs: { title: { value: 'BTC' }, value: { from: 'q.price' } } },
  ],
  outputs: { text: { from: 'r.text' } },
};

function run(mode: WorkflowMode) {
  const engine = new WorkflowEngine({
    registry,
    dbPath: `${h.dir}/${mode}.db`,
    gateway: h.gateway,
    mode,
    clock: h.clock,
  });
  return engine.run(workflow, { runId: `run-${mode}` }).finally(() => engine.close());
}

describe('execution modes on an injected failure', () => {
  it('STRICT fails on the unexpected and asks no LLM', async () => {
    const result = await run('STRICT');
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: 'ORRERY_WORKFLOW_STEP_FAILED', stepId: 'q' });
    expect(result.error?.message).toContain('exchange down');
    expect(result.steps.r).toBeUndefined();
    expect(result.inferences).toEqual([]);
    expect(h.server.requests).toHaveLength(0);
    expect(calls).toEqual(['quote']);
  });

  it('ADAPTIVE asks the LLM to choose a recovery among the allowed options', async () => {
    h.server.script(MODELS.recovery, [
      { json: { action: 'alternative', agent: 'quote_backup', reason: 'primary exchange is down' } },
    ]);
    const result = await run('ADAPTIVE');
    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ text: 'BTC: 99' });
    expect(result.steps.q).toMatchObject({
      status: 'succeeded',
      via: 'alternative:quote_backup',
      attempts: 2,
    });
    expect(calls).toEqual(['quote', 'quote_backup']);
    expect(result.inferences).toEqual([
      expect.objectContaining({
        stepId: 'q',
        hook: 'recovery',
        source: 'llm',
        reason: 'primary exchange is down',
        choice: { action: 'alternative', agent: 'quote_backup' },
      }),
    ]);
    const requests = h.server.requestsFor(MODELS.recovery);
    expect(requests).toHaveLength(1);
    const prompt = promptText(requests[0]);
    expect(prompt).toContain('exchange down');
    expect(prompt).toContain('- alternative: run one of these agents instead: quote_backup');
    expect(prompt).toContain('- retry_later');
    expect(prompt).not.toContain('- cached');
    expect(h.server.requests).toHaveLength(1);
  });

  it('CREATIVE lets the LLM replace the remaining workflow, validated like a plan', async () => {
    h.server.script(MODELS.recovery, [{ json: { action: 'give_up' } }]);
    h.server.script(MODELS.adaptation, [
      {
        json: {
          action: 'replace',
          steps: [
            { id: 'est', agent: 'estimate', inputs: { symbol: { value: 'BTC' } } },
            {
              id: 'r2',
              agent: 'report',
              inputs: { title: { value: 'BTC est' }, value: { from: 'est.price' } },
            },
          ],
          outputs: { text: { from: 'r2.text' } },
          reason: 'no live quote; estimate instead',
        },
      },
    ]);
    const result = await run('CREATIVE');
    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ text: 'BTC est: 98' });
    expect(result.revision).toBe(1);
    expect(result.workflow.steps.map((s) => s.id)).toEqual(['q', 'est', 'r2']);
    expect(result.steps.q).toMatchObject({ status: 'failed', via: 'adapted' });
    expect(result.steps.r).toBeUndefined();
    expect(calls).toEqual(['quote', 'estimate']);
    expect(result.inferences.map((i) => [i.hook, i.source])).toEqual([
      ['recovery', 'llm'],
      ['adaptation', 'llm'],
    ]);
    expect(result.events.some((e) => e.kind === 'revision')).toBe(true);
    const prompt = promptText(h.server.requestsFor(MODELS.adaptation)[0]);
    expect(prompt).toContain('Step q failed: [ORRERY_WORKFLOW_STEP_FAILED]');
    expect(prompt).toContain('- estimate (BASIC)');
  });

  it('a revised workflow survives a restart: the new engine resumes the revision', async () => {
    let hang = true;
    let estimates = 0;
    const reg = sampleRegistry()
      .register('quote', {
        description: 'Live quote',
        inputs: z.object({ symbol: z.string() }),
        output: z.object({ price: z.number() }),
        run: () => {
          throw new Error('exchange down');
        },
      })
      .register('estimate', {
        description: 'Estimated price (hangs in the first engine)',
        inputs: z.object({ symbol: z.string() }),
        output: z.object({ price: z.number() }),
        run: () => {
          estimates += 1;
          return hang ? new Promise<never>(() => {}) : { price: 98 };
        },
      });
    h.server.script(MODELS.adaptation, [
      {
        json: {
          action: 'replace',
          steps: [
            { id: 'est', agent: 'estimate', inputs: { symbol: { value: 'BTC' } } },
            { id: 'r2', agent: 'report', inputs: { title: { value: 'est' }, value: { from: 'est.price' } } },
          ],
          outputs: { text: { from: 'r2.text' } },
        },
      },
    ]);
    const dbPath = `${h.dir}/revised.db`;
    const first = new WorkflowEngine({
      registry: reg,
      dbPath,
      gateway: h.gateway,
      mode: 'CREATIVE',
      clock: h.clock,
    });
    void first.run(workflow, { runId: 'revised' });
    await waitFor(() => estimates === 1, 'the revised step to start');

    hang = false;
    const second = new WorkflowEngine({ registry: reg, dbPath, mode: 'STRICT', clock: h.clock });
    const result = await second.resume('revised');
    expect(result.status).toBe('succeeded');
    expect(result.revision).toBe(1);
    expect(result.outputs).toEqual({ text: 'est: 98' });
    expect(result.steps.q).toMatchObject({ status: 'failed', via: 'adapted', attempts: 1 });
    expect(result.steps.est?.attempts).toBe(2);
    expect(h.server.requestsFor(MODELS.adaptation)).toHaveLength(1);
    await first.close();
    await second.close();
  });
});
