/**
 * @orrery/workflow: steps/s through the WorkflowEngine (validation, scheduling, every start and end
 * persisted to SQLite in WAL mode) against a hand-written dependency-driven Promise scheduler running the
 * same DAG of no-op async agents — the cost of durability and records per step. Also shown: the engine
 * on `:memory:` (no fsync-class costs) and the per-step overhead in µs, to set against an LLM call
 * (hundreds of ms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgentRegistry, WorkflowEngine, type WorkflowInput } from '@orrery/workflow';
import { Bench } from 'tinybench';
import { z } from 'zod';

const LAYERS = 10;
const WIDTH = 5;
const STEPS = LAYERS * WIDTH;

/** A layered DAG: each step of layer k reads one output of layer k-1 and waits for two more. */
function layeredWorkflow(): WorkflowInput {
  const steps: NonNullable<WorkflowInput['steps']> = [];
  for (let k = 0; k < LAYERS; k++) {
    for (let i = 0; i < WIDTH; i++) {
      const prev = (j: number) => `s${k - 1}_${(i + j) % WIDTH}`;
      steps.push({
        id: `s${k}_${i}`,
        agent: 'inc',
        inputs: k === 0 ? { x: { value: i } } : { x: { from: `${prev(0)}.v` } },
        dependsOn: k === 0 ? [] : [prev(1), prev(2)],
      });
    }
  }
  return { id: 'layered', steps };
}

const registry = createAgentRegistry().register('inc', {
  description: 'adds one',
  inputs: z.object({ x: z.number() }),
  output: z.object({ v: z.number() }),
  run: async ({ x }) => ({ v: x + 1 }),
});

/** The baseline: each step awaits its dependencies' promises, then runs. No records, no validation. */
async function handWritten(wf: WorkflowInput): Promise<void> {
  const done = new Map<string, Promise<{ v: number }>>();
  for (const s of wf.steps) {
    const deps = [...(s.dependsOn ?? [])];
    const src = s.inputs?.x;
    if (src !== undefined && 'from' in src) deps.push(src.from.split('.')[0] as string);
    done.set(
      s.id,
      Promise.all(deps.map((d) => done.get(d))).then(async () => {
        const x = src !== undefined && 'value' in src ? (src.value as number) : 0;
        return registry.get('inc')?.run({ x }, undefined as never) as Promise<{ v: number }>;
      }),
    );
  }
  await Promise.all(done.values());
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

function stepsPerSecond(bench: Bench, name: string): number {
  const r = bench.getTask(name)?.result;
  if (r === undefined || r.state !== 'completed') throw new Error(`benchmark task ${name} did not complete`);
  return STEPS / (r.period / 1000);
}

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'orrery-workflow-bench-'));
  const wf = layeredWorkflow();
  const onFile = new WorkflowEngine({ registry, dbPath: join(dir, 'runs.db') });
  const inMemory = new WorkflowEngine({ registry, dbPath: ':memory:' });
  try {
    const check = await onFile.run(wf);
    if (check.status !== 'succeeded')
      throw new Error(`bench workflow did not succeed: ${check.error?.message}`);

    const base: number[] = [];
    const file: number[] = [];
    const mem: number[] = [];
    // Alternating short rounds compared by their median: a busy neighbour slows all sides alike.
    for (let round = 0; round < 5; round++) {
      const bench = new Bench({ time: 400, warmupTime: 100 });
      bench
        .add('hand-written Promise DAG', () => handWritten(wf))
        .add('WorkflowEngine (SQLite WAL file)', async () => {
          await onFile.run(wf);
        })
        .add('WorkflowEngine (:memory:)', async () => {
          await inMemory.run(wf);
        });
      await bench.run();
      base.push(stepsPerSecond(bench, 'hand-written Promise DAG'));
      file.push(stepsPerSecond(bench, 'WorkflowEngine (SQLite WAL file)'));
      mem.push(stepsPerSecond(bench, 'WorkflowEngine (:memory:)'));
    }
    const b = median(base);
    const f = median(file);
    const m = median(mem);
    const fmt = (n: number) => Math.round(n).toLocaleString('en');
    console.log(`${STEPS}-step layered DAG, no-op async agents, median of 5 rounds`);
    console.log(`hand-written Promise DAG        : ${fmt(b)} steps/s (baseline)`);
    console.log(`WorkflowEngine (SQLite WAL file): ${fmt(f)} steps/s, ${(1e6 / f).toFixed(0)} µs/step`);
    console.log(`WorkflowEngine (:memory:)       : ${fmt(m)} steps/s, ${(1e6 / m).toFixed(0)} µs/step`);
    console.log(
      `ratio engine(file) / baseline = ${(f / b).toFixed(3)}×; engine(:memory:) / baseline = ${(m / b).toFixed(3)}×`,
    );
  } finally {
    await onFile.close();
    await inMemory.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
