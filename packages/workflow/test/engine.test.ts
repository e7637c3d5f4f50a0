import { ManualClock } from '@orrery/core';
import { tempDir } from '@orrery/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type AgentRegistry,
  createAgentRegistry,
  RunError,
  type StepEvent,
  WorkflowEngine,
  type WorkflowEngineOptions,
  WorkflowErrorCode,
  type WorkflowInput,
  WorkflowValidationError,
} from '../src/index.ts';
import { type Deferred, deferred, ManualScheduler, sampleRegistry, waitFor } from './helpers/agents.ts';

let dir: { path: string; remove(): void };
let engines: WorkflowEngine[];

beforeEach(() => {
  dir = tempDir('orrery-workflow-');
  engines = [];
});
afterEach(async () => {
  for (const e of engines) await e.close();
  dir.remove();
});

function engine(options: Partial<WorkflowEngineOptions> & { registry: AgentRegistry }): WorkflowEngine {
  const e = new WorkflowEngine({ dbPath: `${dir.path}/runs.db`, clock: new ManualClock(), ...options });
  engines.push(e);
  return e;
}

/** Steps of agent `gate` wait for the test to resolve `gates[stepId]`; starts are logged. */
function gatedRegistry() {
  const gates = new Map<string, Deferred<number>>();
  const started: string[] = [];
  const signals = new Map<string, AbortSignal>();
  const registry = createAgentRegistry().register('gate', {
    description: 'waits for the test',
    inputs: z.object({ add: z.number().optional() }),
    output: z.object({ v: z.number() }),
    run: async ({ add }, ctx) => {
      started.push(ctx.stepId);
      signals.set(ctx.stepId, ctx.signal);
      const d = deferred<number>();
      gates.set(ctx.stepId, d);
      return { v: (await d.promise) + (add ?? 0) };
    },
  });
  const open = async (id: string, value = 1) => {
    await waitFor(() => gates.has(id), `step ${id} to start`);
    gates.get(id)?.resolve(value);
  };
  return { registry, gates, started, signals, open };
}

const order = (events: readonly StepEvent[]) =>
  events.filter((e) => e.stepId !== '*').map((e) => `${e.kind}:${e.stepId}`);

describe('WorkflowEngine: parallelism and order', () => {
  it('starts every step whose dependencies finished, and nothing before', async () => {
    const g = gatedRegistry();
    const wf: WorkflowInput = {
      id: 'diamond',
      steps: [
        { id: 'a', agent: 'gate' },
        { id: 'b', agent: 'gate' },
        { id: 'c', agent: 'gate' },
        { id: 'd', agent: 'gate', inputs: { add: { from: 'a.v' } }, dependsOn: ['b'] },
        { id: 'e', agent: 'gate', dependsOn: ['d', 'c'] },
      ],
      outputs: { d: { from: 'd.v' } },
    };
    const done = engine({ registry: g.registry }).run(wf, { runId: 'r1' });
    await waitFor(() => g.started.length === 3, 'a, b, c to start together');
    expect(g.started).toEqual(['a', 'b', 'c']);
    await g.open('c');
    await g.open('b');
    // d waits for a too.
    await new Promise((r) => setImmediate(r));
    expect(g.started).toEqual(['a', 'b', 'c']);
    await g.open('a', 10);
    await g.open('d', 5);
    await g.open('e');
    const result = await done;
    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ d: 15 });
    expect(order(result.events)).toEqual([
      'start:a',
      'start:b',
      'start:c',
      'end:c',
      'end:b',
      'end:a',
      'start:d',
      'end:d',
      'start:e',
      'end:e',
    ]);
    expect(Object.values(result.steps).every((s) => s.attempts === 1 && s.status === 'succeeded')).toBe(true);
  });

  it('respects a concurrency limit', async () => {
    const g = gatedRegistry();
    const wf = { id: 'flat', steps: ['a', 'b', 'c'].map((id) => ({ id, agent: 'gate' })) };
    const done = engine({ registry: g.registry, concurrency: 1 }).run(wf);
    await g.open('a');
    await g.open('b');
    await g.open('c');
    const result = await done;
    expect(order(result.events)).toEqual(['start:a', 'end:a', 'start:b', 'end:b', 'start:c', 'end:c']);
  });
});

describe('WorkflowEngine: failures, retries and policies', () => {
  function flaky(failures: number) {
    let calls = 0;
    const registry = sampleRegistry().register('flaky', {
      description: 'fails its first calls',
      inputs: z.object({}),
      output: z.object({ v: z.number() }),
      run: () => {
        calls += 1;
        if (calls <= failures) throw new Error(`boom ${calls}`);
        return { v: calls };
      },
    });
    return { registry, calls: () => calls };
  }

  it('retries nothing by default: one call, the run fails naming the step', async () => {
    const f = flaky(1);
    const result = await engine({ registry: f.registry }).run({
      id: 'x',
      steps: [{ id: 'f', agent: 'flaky' }],
    });
    expect(f.calls()).toBe(1);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: WorkflowErrorCode.STEP_FAILED, stepId: 'f' });
    expect(result.error?.message).toContain('boom 1');
    expect(result.steps.f).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('retries exactly as many times as declared', async () => {
    const f = flaky(2);
    const result = await engine({ registry: f.registry }).run({
      id: 'x',
      steps: [{ id: 'f', agent: 'flaky', retries: 2 }],
    });
    expect(f.calls()).toBe(3);
    expect(result.status).toBe('succeeded');
    expect(result.steps.f).toMatchObject({ status: 'succeeded', attempts: 3, output: { v: 3 } });
  });

  it('skip: the step and the steps reading its output are skipped, others go on', async () => {
    const f = flaky(5);
    const result = await engine({ registry: f.registry }).run({
      id: 'x',
      steps: [
        { id: 'f', agent: 'flaky', onError: { type: 'skip' } },
        { id: 'm', agent: 'mean', inputs: { values: { from: 'f.v' } } },
        { id: 'after', agent: 'prices', inputs: { symbol: { value: 'BTC' } }, dependsOn: ['f'] },
      ],
    });
    expect(result.status).toBe('succeeded');
    expect(result.steps.f).toMatchObject({
      status: 'skipped',
      via: 'policy',
      error: { code: 'ORRERY_WORKFLOW_STEP_FAILED' },
    });
    expect(result.steps.m).toMatchObject({ status: 'skipped', via: 'upstream' });
    expect(result.steps.after?.status).toBe('succeeded');
  });

  it('fallback: the declared value stands in for the output', async () => {
    const f = flaky(5);
    const result = await engine({ registry: f.registry }).run({
      id: 'x',
      steps: [
        { id: 'f', agent: 'flaky', onError: { type: 'fallback', value: { v: 7 } } },
        { id: 'r', agent: 'report', inputs: { title: { value: 'v' }, value: { from: 'f.v' } } },
      ],
      outputs: { text: { from: 'r.text' } },
    });
    expect(result.steps.f).toMatchObject({ status: 'succeeded', via: 'fallback', output: { v: 7 } });
    expect(result.outputs).toEqual({ text: 'v: 7' });
  });

  it('a failure stops the run: running steps are aborted and recorded cancelled, dependents never start', async () => {
    const g = gatedRegistry();
    g.registry.register('bad', {
      description: 'fails',
      inputs: z.object({}),
      output: z.object({ v: z.number() }),
      run: async () => {
        await waitFor(() => g.started.includes('slow'), 'slow to start');
        throw new Error('bad data');
      },
    });
    const result = await engine({ registry: g.registry }).run({
      id: 'x',
      steps: [
        { id: 'slow', agent: 'gate' },
        { id: 'bad', agent: 'bad' },
        { id: 'next', agent: 'gate', dependsOn: ['bad'] },
      ],
    });
    expect(result.status).toBe('failed');
    expect(result.error?.stepId).toBe('bad');
    expect(result.steps.slow?.status).toBe('cancelled');
    expect(g.signals.get('slow')?.aborted).toBe(true);
    expect(result.steps.next).toBeUndefined();
    expect(g.started).toEqual(['slow']);
  });

  it('enforces a step time limit: the signal aborts and the step fails with STEP_TIMEOUT', async () => {
    const g = gatedRegistry();
    const scheduler = new ManualScheduler();
    const done = engine({ registry: g.registry, scheduler }).run({
      id: 'x',
      steps: [{ id: 'a', agent: 'gate', timeoutMs: 250 }],
    });
    await waitFor(() => scheduler.pending.length === 1, 'the time limit to be armed');
    expect(scheduler.fire(250)).toBe(1);
    const result = await done;
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ code: WorkflowErrorCode.STEP_TIMEOUT, stepId: 'a' });
    expect(g.signals.get('a')?.aborted).toBe(true);
  });

  it('a timer is disarmed when the step finishes in time', async () => {
    const g = gatedRegistry();
    const scheduler = new ManualScheduler();
    const done = engine({ registry: g.registry, scheduler, defaultTimeoutMs: 1_000 }).run({
      id: 'x',
      steps: [{ id: 'a', agent: 'gate' }],
    });
    await g.open('a');
    expect((await done).status).toBe('succeeded');
    expect(scheduler.requested).toEqual([1_000]);
    expect(scheduler.pending).toHaveLength(0);
  });

  it('data that breaks a schema at run time fails the step with STEP_INPUT / STEP_OUTPUT', async () => {
    const registry = sampleRegistry()
      .register('words', {
        description: 'gives text where numbers are expected downstream',
        inputs: z.object({}),
        output: z.object({ closes: z.array(z.unknown()) }),
        run: () => ({ closes: ['a', 'b'] }),
      })
      .register('bigint', {
        description: 'returns something that is not JSON',
        inputs: z.object({}),
        output: z.unknown(),
        run: () => ({ n: 1n }),
      });
    const e = engine({ registry });
    const input = await e.run({
      id: 'x',
      steps: [
        { id: 'w', agent: 'words' },
        { id: 'm', agent: 'mean', inputs: { values: { from: 'w.closes' } } },
      ],
    });
    expect(input.error).toMatchObject({ code: WorkflowErrorCode.STEP_INPUT, stepId: 'm' });
    const output = await e.run({ id: 'y', steps: [{ id: 'b', agent: 'bigint' }] });
    expect(output.error).toMatchObject({ code: WorkflowErrorCode.STEP_OUTPUT, stepId: 'b' });
  });

  it('refuses an invalid workflow before running anything', async () => {
    const registry = sampleRegistry();
    await expect(
      engine({ registry }).run({
        id: 'x',
        steps: [{ id: 'a', agent: 'mean', inputs: { values: { from: 'a.value' } } }],
      }),
    ).rejects.toThrow(WorkflowValidationError);
  });
});

describe('WorkflowEngine: decisions (STRICT)', () => {
  it('takes the default among several valid branches and skips the other branch', async () => {
    const result = await engine({ registry: sampleRegistry() }).run({
      id: 'x',
      steps: [
        { id: 'p', agent: 'prices', inputs: { symbol: { value: 'BTC' } } },
        {
          id: 'd',
          decide: {
            question: 'report high or low?',
            branches: [
              { name: 'low', if: { from: 'p.last', op: 'lt', value: 1_000 } },
              { name: 'high', if: { from: 'p.last', op: 'gte', value: 50 } },
            ],
            default: 'high',
          },
        },
        {
          id: 'lo',
          agent: 'report',
          inputs: { title: { value: 'low' }, value: { from: 'p.last' } },
          when: { from: 'd.branch', value: 'low' },
        },
        {
          id: 'hi',
          agent: 'report',
          inputs: { title: { value: 'high' }, value: { from: 'p.last' } },
          when: { from: 'd.branch', value: 'high' },
        },
      ],
      outputs: { text: { from: 'hi.text' } },
    });
    expect(result.steps.d).toMatchObject({
      status: 'succeeded',
      output: { branch: 'high' },
      via: 'decision:rule',
    });
    expect(result.steps.lo).toMatchObject({ status: 'skipped', via: 'condition' });
    expect(result.outputs).toEqual({ text: 'high: 104' });
    expect(result.inferences).toEqual([]);
  });
});

describe('WorkflowEngine: cancellation', () => {
  it('aborts running steps, starts nothing more, and can be resumed later', async () => {
    const g = gatedRegistry();
    const controller = new AbortController();
    const e = engine({ registry: g.registry });
    const wf = {
      id: 'x',
      steps: [
        { id: 'a', agent: 'gate' },
        { id: 'b', agent: 'gate', dependsOn: ['a'] },
        { id: 'c', agent: 'gate', dependsOn: ['b'] },
      ],
    };
    const done = e.run(wf, { runId: 'cancel-me', signal: controller.signal });
    await g.open('a');
    await waitFor(() => g.started.includes('b'), 'b to start');
    controller.abort(new Error('operator stop'));
    const result = await done;
    expect(result.status).toBe('cancelled');
    expect(result.error?.message).toContain('operator stop');
    expect(g.signals.get('b')?.aborted).toBe(true);
    expect(result.steps.b?.status).toBe('cancelled');
    expect(result.steps.c).toBeUndefined();

    g.gates.clear();
    const resumed = e.resume('cancel-me');
    await g.open('b');
    await g.open('c');
    const final = await resumed;
    expect(final.status).toBe('succeeded');
    expect(g.started).toEqual(['a', 'b', 'b', 'c']);
    expect(final.steps.b?.attempts).toBe(2);
  });

  it('a step that ignores its signal does not hold the run', async () => {
    let started = false;
    const registry = createAgentRegistry().register('deaf', {
      description: 'never returns',
      inputs: z.object({}),
      output: z.object({}),
      run: () => {
        started = true;
        return new Promise<Record<string, never>>(() => {});
      },
    });
    const controller = new AbortController();
    const done = engine({ registry }).run(
      { id: 'x', steps: [{ id: 'a', agent: 'deaf' }] },
      { signal: controller.signal },
    );
    await waitFor(() => started, 'the deaf step to start');
    controller.abort();
    const result = await done;
    expect(result.status).toBe('cancelled');
    expect(result.steps.a?.status).toBe('cancelled');
  });
});

describe('WorkflowEngine: resume after a restart', () => {
  it('a new engine on the same file re-runs only what did not finish, with earlier outputs loaded', async () => {
    const dbPath = `${dir.path}/crash.db`;
    const calls: string[] = [];
    const makeRegistry = (hang: boolean) =>
      createAgentRegistry()
        .register('source', {
          description: 'a number',
          inputs: z.object({}),
          output: z.object({ v: z.number() }),
          run: (_, ctx) => {
            calls.push(`${ctx.stepId}@${hang ? 1 : 2}`);
            return { v: 20 };
          },
        })
        .register('plus', {
          description: 'adds one (hangs forever in the first engine)',
          inputs: z.object({ x: z.number() }),
          output: z.object({ v: z.number() }),
          run: ({ x }, ctx) => {
            calls.push(`${ctx.stepId}@${hang ? 1 : 2}`);
            return hang ? new Promise<never>(() => {}) : { v: x + 1 };
          },
        });
    const wf = {
      id: 'chain',
      steps: [
        { id: 'a', agent: 'source' },
        { id: 'b', agent: 'plus', inputs: { x: { from: 'a.v' } } },
        { id: 'c', agent: 'plus', inputs: { x: { from: 'b.v' } } },
      ],
      outputs: { c: { from: 'c.v' } },
    };
    const first = engine({ registry: makeRegistry(true), dbPath });
    const events: StepEvent[] = [];
    void first.run(wf, { runId: 'crashy' });
    await waitFor(() => calls.includes('b@1'), 'b to start in the first engine');

    // The first engine is abandoned mid-run (as if its process died). A new one takes over.
    const second = engine({ registry: makeRegistry(false), dbPath, onEvent: (e) => events.push(e) });
    const result = await second.resume('crashy');
    expect(result.status).toBe('succeeded');
    expect(result.outputs).toEqual({ c: 22 });
    expect(calls).toEqual(['a@1', 'b@1', 'b@2', 'c@2']);
    expect(result.steps.a?.attempts).toBe(1);
    expect(result.steps.b?.attempts).toBe(2);
    expect(events.map((e) => `${e.kind}:${e.stepId}`)).toEqual([
      'run_resume:*',
      'start:b',
      'end:b',
      'start:c',
      'end:c',
      'run_end:*',
    ]);
    const history = result.events.map((e) => `${e.kind}:${e.stepId}`);
    expect(history.slice(0, 4)).toEqual(['run_start:*', 'start:a', 'end:a', 'start:b']);

    // The abandoned engine wakes up (closing cancels its hung step): it no longer owns the run and writes nothing.
    await first.close();
    expect(second.inspect('crashy')?.status).toBe('succeeded');
    expect(second.inspect('crashy')?.steps.b?.status).toBe('succeeded');
  });

  it('a finished run is returned as stored; unknown and duplicate run ids are typed errors', async () => {
    const registry = sampleRegistry();
    const e = engine({ registry });
    const wf = { id: 'x', steps: [{ id: 'p', agent: 'prices', inputs: { symbol: { value: 'BTC' } } }] };
    const first = await e.run(wf, { runId: 'once' });
    const again = await e.resume('once');
    expect(again.status).toBe('succeeded');
    expect(again.steps).toEqual(first.steps);
    expect(again.events).toEqual(first.events);
    await expect(e.run(wf, { runId: 'once' })).rejects.toMatchObject({ code: WorkflowErrorCode.RUN_EXISTS });
    await expect(e.resume('never')).rejects.toThrow(RunError);
    await expect(e.resume('never')).rejects.toMatchObject({ code: WorkflowErrorCode.RUN_NOT_FOUND });
  });
});
