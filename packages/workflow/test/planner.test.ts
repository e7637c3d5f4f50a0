import { LLMBudgetExceededError } from '@orrery/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AgentRegistry,
  PlanRejectedError,
  planWorkflow,
  WorkflowEngine,
  WorkflowErrorCode,
  type WorkflowInput,
  WorkflowIssueCode,
} from '../src/index.ts';
import { sampleRegistry } from './helpers/agents.ts';
import { type LlmHarness, llmHarness, MODELS, messagesOf, promptText } from './helpers/llm.ts';

const goodPlan: WorkflowInput = {
  id: 'btc_mean',
  steps: [
    { id: 'fetch', agent: 'prices', inputs: { symbol: { value: 'BTC' } } },
    { id: 'avg', agent: 'mean', inputs: { values: { from: 'fetch.closes' } } },
    { id: 'write', agent: 'report', inputs: { title: { value: 'BTC mean' }, value: { from: 'avg.value' } } },
  ],
  outputs: { text: { from: 'write.text' } },
};

const cyclicPlan: WorkflowInput = {
  id: 'btc_mean',
  steps: [
    { id: 'fetch', agent: 'prices', inputs: { symbol: { value: 'BTC' } }, dependsOn: ['write'] },
    { id: 'avg', agent: 'mean', inputs: { values: { from: 'fetch.closes' } } },
    { id: 'write', agent: 'report', inputs: { title: { value: 'BTC mean' }, value: { from: 'avg.value' } } },
  ],
};

let h: LlmHarness;
let registry: AgentRegistry;
beforeEach(async () => {
  h = await llmHarness();
  registry = sampleRegistry();
});
afterEach(async () => {
  await h.close();
});

describe('planWorkflow against the loopback LLM server', () => {
  it('turns a request into a validated workflow with one call whose prompt lists the agents', async () => {
    h.server.script(MODELS.planner, [{ json: goodPlan }]);
    const plan = await planWorkflow(h.gateway, 'Report the mean BTC close', registry);
    expect(plan.attempts).toBe(1);
    expect(plan.repaired).toBe(false);
    expect(plan.workflow.steps.map((s) => s.id)).toEqual(['fetch', 'avg', 'write']);
    expect(plan.workflow.steps[0]?.retries).toBe(0);

    const [req] = h.server.requestsFor(MODELS.planner);
    expect(h.server.requestsFor(MODELS.planner)).toHaveLength(1);
    expect(req?.jsonMode).toBe(true);
    const prompt = promptText(req);
    expect(prompt).toContain('Report the mean BTC close');
    for (const text of [
      '- prices (BASIC): Closing prices of a symbol',
      '- mean (BASIC)',
      '- report (BASIC)',
      'ticker, e.g. BTC',
    ]) {
      expect(prompt).toContain(text);
    }

    // The plan runs.
    const engine = new WorkflowEngine({ registry, dbPath: `${h.dir}/runs.db`, clock: h.clock });
    const result = await engine.run(plan.workflow);
    expect(result.outputs).toEqual({ text: 'BTC mean: 102' });
    await engine.close();
  });

  it('repairs an invalid plan once: the second call shows the problems and the first answer', async () => {
    h.server.script(MODELS.planner, [{ json: cyclicPlan }, { json: goodPlan }]);
    const plan = await planWorkflow(h.gateway, 'Report the mean BTC close', registry);
    expect(plan).toMatchObject({ attempts: 2, repaired: true });
    expect(plan.workflow.steps[0]?.dependsOn).toEqual([]);
    const requests = h.server.requestsFor(MODELS.planner);
    expect(requests).toHaveLength(2);
    const repair = messagesOf(requests[1]);
    expect(repair.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(JSON.parse(repair[2]?.content ?? '')).toEqual(cyclicPlan);
    expect(repair[3]?.content).toContain('[CYCLE] dependency cycle:');
  });

  it('repairs an answer that breaks the schema, naming the step', async () => {
    const broken = { id: 'p', steps: [{ id: 'fetch', agent: 'prices', inputs: { symbol: 'BTC' } }] };
    h.server.script(MODELS.planner, [{ json: broken }, { json: goodPlan }]);
    const plan = await planWorkflow(h.gateway, 'Report the mean BTC close', registry);
    expect(plan.repaired).toBe(true);
    const repair = messagesOf(h.server.requestsFor(MODELS.planner)[1]);
    expect(repair[3]?.content).toContain('[SCHEMA] step fetch (steps.0.inputs.symbol)');
  });

  it('rejects a plan that is still invalid after the repair, and never returns it', async () => {
    const unknownAgent = { id: 'p', steps: [{ id: 'fly', agent: 'rocket' }] };
    const missingInput = {
      id: 'p',
      steps: [{ id: 'write', agent: 'report', inputs: { title: { value: 't' } } }],
    };
    h.server.script(MODELS.planner, [{ json: unknownAgent }, { json: missingInput }]);
    const err = await planWorkflow(h.gateway, 'anything', registry).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanRejectedError);
    const rejected = err as PlanRejectedError;
    expect(rejected.code).toBe(WorkflowErrorCode.PLAN_REJECTED);
    expect(rejected.attempts).toBe(2);
    expect(rejected.issues).toEqual([
      expect.objectContaining({ code: WorkflowIssueCode.MISSING_INPUT, stepId: 'write' }),
    ]);
    expect(messagesOf(h.server.requestsFor(MODELS.planner)[1])[3]?.content).toContain('[UNKNOWN_AGENT]');
    expect(h.server.requestsFor(MODELS.planner)).toHaveLength(2);
  });

  it('rejects two answers that are not JSON', async () => {
    h.server.script(MODELS.planner, [{ text: 'Sure! Here is your plan.' }, { malformed: true }]);
    const err = await planWorkflow(h.gateway, 'anything', registry).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PlanRejectedError);
    expect((err as PlanRejectedError).issues[0]?.message).toContain('not JSON');
  });

  it("lets the gateway's refusals through: no budget, no call", async () => {
    const tight = await llmHarness({
      budget: { maxCallsPerHour: 0, maxTokensPerHour: 1_000, reserveCalls: 0, reserveTokens: 0 },
    });
    try {
      await expect(planWorkflow(tight.gateway, 'anything', registry)).rejects.toThrow(LLMBudgetExceededError);
      expect(tight.server.requests).toHaveLength(0);
    } finally {
      await tight.close();
    }
  });
});
