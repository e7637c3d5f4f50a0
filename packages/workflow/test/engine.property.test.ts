import { ManualClock } from '@orrery/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAgentRegistry, WorkflowEngine } from '../src/index.ts';

/** A random DAG: step i may depend on any earlier step (so no cycles), by order or by data. */
const dagArb = fc.integer({ min: 1, max: 12 }).chain((n) =>
  fc.tuple(
    ...Array.from({ length: n }, (_, i) =>
      fc.record({
        order: fc.subarray(Array.from({ length: i }, (_, j) => j)),
        data: fc.subarray(Array.from({ length: i }, (_, j) => j)),
      }),
    ),
  ),
);

describe('WorkflowEngine over random DAGs', () => {
  it('never starts a step before its dependencies finished, and runs every step exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, fc.scheduler(), fc.integer({ min: 1, max: 4 }), async (dag, s, limit) => {
        const runs = new Map<string, number>();
        const finished = new Set<string>();
        const violations: string[] = [];
        const deps = dag.map((d) => [...new Set([...d.order, ...d.data])].map((j) => `s${j}`));
        let running = 0;
        let peak = 0;
        const registry = createAgentRegistry().register('node', {
          description: 'sums its inputs, completing whenever the scheduler says',
          inputs: z.object({}).catchall(z.number()),
          output: z.object({ v: z.number() }),
          run: async (input, ctx) => {
            runs.set(ctx.stepId, (runs.get(ctx.stepId) ?? 0) + 1);
            const i = Number(ctx.stepId.slice(1));
            for (const d of deps[i] ?? [])
              if (!finished.has(d)) violations.push(`${ctx.stepId} started before ${d}`);
            running += 1;
            peak = Math.max(peak, running);
            const sum = Object.values(input).reduce((a, b) => a + b, 0);
            const v = await s.schedule(Promise.resolve(1 + sum), ctx.stepId);
            running -= 1;
            finished.add(ctx.stepId);
            return { v };
          },
        });
        // Order dependencies via dependsOn, data dependencies via references to earlier outputs.
        const wf = {
          id: 'random',
          steps: dag.map((d, i) => ({
            id: `s${i}`,
            agent: 'node',
            dependsOn: d.order.map((j) => `s${j}`),
            inputs: Object.fromEntries(d.data.map((j) => [`from_s${j}`, { from: `s${j}.v` }])),
          })),
        };
        const engine = new WorkflowEngine({
          registry,
          dbPath: ':memory:',
          clock: new ManualClock(),
          concurrency: limit,
        });
        try {
          const result = await s.waitFor(engine.run(wf));
          expect(violations).toEqual([]);
          expect(result.status).toBe('succeeded');
          for (let i = 0; i < dag.length; i++) expect(runs.get(`s${i}`)).toBe(1);
          expect(peak).toBeLessThanOrEqual(limit);
          // The recorded events agree: each start comes after the end of every dependency.
          const seq = new Map(result.events.map((e) => [`${e.kind}:${e.stepId}`, e.seq]));
          for (let i = 0; i < dag.length; i++) {
            for (const d of deps[i] ?? []) {
              expect(seq.get(`start:s${i}`) as number).toBeGreaterThan(seq.get(`end:${d}`) as number);
            }
          }
        } finally {
          await engine.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
