import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AgentRegistryError,
  checkWorkflow,
  createAgentRegistry,
  parseWorkflow,
  validateWorkflow,
  WorkflowError,
  WorkflowErrorCode,
  type WorkflowInput,
  WorkflowIssueCode,
  WorkflowSchemaError,
  WorkflowValidationError,
} from '../src/index.ts';
import { sampleRegistry } from './helpers/agents.ts';

const registry = sampleRegistry();

const valid: WorkflowInput = {
  id: 'btc_report',
  steps: [
    { id: 'fetch', agent: 'prices', inputs: { symbol: { value: 'BTC' } } },
    { id: 'avg', agent: 'mean', inputs: { values: { from: 'fetch.closes' } } },
    {
      id: 'write',
      agent: 'report',
      inputs: { title: { value: 'BTC mean' }, value: { from: 'avg.value' } },
      onError: { type: 'fallback', value: { text: 'no report' } },
    },
  ],
  outputs: { text: { from: 'write.text' } },
};

function issuesOf(wf: WorkflowInput) {
  try {
    validateWorkflow(wf, registry);
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowValidationError);
    expect(err).toBeInstanceOf(WorkflowError);
    expect((err as WorkflowValidationError).code).toBe(WorkflowErrorCode.INVALID);
    return (err as WorkflowValidationError).issues;
  }
  throw new Error('expected a WorkflowValidationError');
}

describe('validateWorkflow', () => {
  it('accepts a valid workflow and applies defaults (no retries, fail on error)', () => {
    const wf = validateWorkflow(valid, registry);
    expect(wf.steps[0]?.retries).toBe(0);
    expect(wf.steps[0]?.onError).toEqual({ type: 'fail' });
    expect(wf.steps[1]?.dependsOn).toEqual([]);
  });

  it('names every step of a cycle, including cycles through references', () => {
    const issues = issuesOf({
      id: 'loop',
      steps: [
        { id: 'a', agent: 'mean', inputs: { values: { from: 'c.closes' } } },
        { id: 'b', agent: 'mean', inputs: { values: { value: [1] } }, dependsOn: ['a'] },
        { id: 'c', agent: 'prices', inputs: { symbol: { value: 'X' } }, dependsOn: ['b'] },
      ],
    });
    const cycle = issues.find((i) => i.code === WorkflowIssueCode.CYCLE);
    expect(cycle?.message).toMatch(/dependency cycle: /);
    for (const id of ['a', 'b', 'c']) expect(cycle?.message).toContain(id);
    expect(cycle?.stepId).toBeDefined();
  });

  it('reports a self-dependency as a cycle', () => {
    const issues = issuesOf({
      id: 'self',
      steps: [{ id: 'a', agent: 'prices', inputs: { symbol: { value: 'X' } }, dependsOn: ['a'] }],
    });
    expect(issues).toEqual([
      expect.objectContaining({ code: 'CYCLE', stepId: 'a', message: 'dependency cycle: a → a' }),
    ]);
  });

  it('names the step calling an unknown agent and lists the registered ones', () => {
    const issues = issuesOf({ id: 'x', steps: [{ id: 'fly', agent: 'rocket', inputs: {} }] });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'UNKNOWN_AGENT', stepId: 'fly', path: 'steps.0.agent' });
    expect(issues[0]?.message).toContain('prices, mean, report');
  });

  it('reports a missing required input, but not a missing optional one', () => {
    const issues = issuesOf({
      id: 'x',
      steps: [{ id: 'write', agent: 'report', inputs: { title: { value: 't' } } }],
    });
    expect(issues).toEqual([
      expect.objectContaining({ code: 'MISSING_INPUT', stepId: 'write', path: 'steps.0.inputs.value' }),
    ]);
  });

  it('reports references to unknown steps and to fields the output does not have', () => {
    const issues = issuesOf({
      id: 'x',
      steps: [
        { id: 'fetch', agent: 'prices', inputs: { symbol: { value: 'BTC' } } },
        { id: 'avg', agent: 'mean', inputs: { values: { from: 'fetch.close' } } },
        { id: 'avg2', agent: 'mean', inputs: { values: { from: 'ghost.closes' } } },
      ],
      outputs: { last: { from: 'fetch.last.value' } },
    });
    expect(issues.map((i) => [i.code, i.stepId])).toEqual([
      ['INVALID_REFERENCE_PATH', 'avg'],
      ['UNKNOWN_REFERENCE', 'avg2'],
      ['INVALID_REFERENCE_PATH', undefined],
    ]);
    expect(issues[0]?.message).toContain('has no field "close"');
  });

  it('reports duplicate ids, unknown dependencies, unknown inputs, bad literals and bad fallbacks', () => {
    const issues = issuesOf({
      id: 'x',
      steps: [
        { id: 'a', agent: 'prices', inputs: { symbol: { value: 42 } } },
        {
          id: 'a',
          agent: 'prices',
          inputs: { symbol: { value: 'X' }, venue: { value: 'y' } },
          dependsOn: ['zz'],
        },
        {
          id: 'b',
          agent: 'mean',
          inputs: { values: { value: [1] } },
          onError: { type: 'fallback', value: { value: 'NaN' } },
        },
      ],
    });
    expect(issues.map((i) => i.code).sort()).toEqual(
      ['DUPLICATE_STEP', 'INVALID_FALLBACK', 'INVALID_LITERAL', 'UNKNOWN_DEPENDENCY', 'UNKNOWN_INPUT'].sort(),
    );
    expect(issues.every((i) => i.stepId === 'a' || i.stepId === 'b')).toBe(true);
  });

  it('checks decisions: default and `when` values must name a branch', () => {
    const issues = issuesOf({
      id: 'x',
      steps: [
        { id: 'fetch', agent: 'prices', inputs: { symbol: { value: 'BTC' } } },
        {
          id: 'choose',
          decide: {
            question: 'which?',
            branches: [{ name: 'up' }, { name: 'down', if: { from: 'fetch.last', op: 'lt', value: 50 } }],
            default: 'sideways',
          },
        },
        {
          id: 'w',
          agent: 'report',
          inputs: { title: { value: 't' }, value: { value: 1 } },
          when: { from: 'choose.branch', value: 'left' },
        },
      ],
    });
    expect(issues.map((i) => [i.code, i.stepId])).toEqual([
      ['UNKNOWN_BRANCH', 'choose'],
      ['UNKNOWN_BRANCH', 'w'],
    ]);
  });

  it('checkWorkflow returns every issue instead of throwing', () => {
    const wf = parseWorkflow({ id: 'x', steps: [{ id: 'a', agent: 'nope' }] });
    expect(checkWorkflow(wf, registry).map((i) => i.code)).toEqual(['UNKNOWN_AGENT']);
  });

  it('a shape error is a WorkflowSchemaError naming the step', () => {
    const bad = { id: 'x', steps: [{ id: 'a', agent: 'prices', decide: { question: 'q', branches: [] } }] };
    try {
      validateWorkflow(bad, registry);
      throw new Error('expected a throw');
    } catch (err) {
      expect(err).toBeInstanceOf(WorkflowSchemaError);
      const e = err as WorkflowSchemaError;
      expect(e.code).toBe(WorkflowErrorCode.SCHEMA);
      expect(e.issues.every((i) => i.stepId === 'a')).toBe(true);
      expect(e.message).toContain('step a');
    }
    expect(() => validateWorkflow({ id: 'x', steps: [] }, registry)).toThrow(WorkflowSchemaError);
    expect(() => validateWorkflow({ id: 'x.y', steps: [{ id: 'a', agent: 'prices' }] }, registry)).toThrow(
      WorkflowSchemaError,
    );
  });
});

describe('AgentRegistry', () => {
  it('refuses duplicate names, bad names and non-object inputs', () => {
    const def = { description: 'd', inputs: z.object({}), output: z.number(), run: () => 1 };
    const r = createAgentRegistry().register('one', def);
    expect(() => r.register('one', def)).toThrow(AgentRegistryError);
    expect(() => r.register('has.dot', def)).toThrow(/must start with a letter/);
    expect(() => r.register('two', { ...def, inputs: z.string() as unknown as z.ZodObject })).toThrow(
      /inputs must be a z.object/,
    );
  });

  it('describes agents as JSON Schemas for the planner (inputs as written, with descriptions)', () => {
    const [prices] = registry.describe();
    expect(prices).toMatchObject({
      name: 'prices',
      intelligence: 'BASIC',
      inputs: { type: 'object', properties: { symbol: { type: 'string', description: 'ticker, e.g. BTC' } } },
      output: { type: 'object', required: ['closes', 'last'] },
    });
  });
});
