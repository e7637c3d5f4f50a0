import type { InferenceRecord, ProgressStore, StepEvent, StepRecord, StoredError } from './progress-store.ts';
import { parseReference, type Workflow } from './schema.ts';
import { valueAtPath } from './schema-path.ts';

/** The outcome of a run. Every field is also in the progress store. */
export interface WorkflowResult {
  runId: string;
  /** `cancelled` runs (their signal fired) can be resumed; `succeeded` and `failed` ones are final. */
  status: 'succeeded' | 'failed' | 'cancelled';
  /** The workflow as finally executed (CREATIVE runs may have revised it). */
  workflow: Workflow;
  /** How many times the workflow was revised. */
  revision: number;
  /** The workflow's named outputs (absent when their step was skipped or did not run). */
  outputs: Record<string, unknown>;
  /** Every step that started or was skipped, by id. */
  steps: Record<string, StepRecord>;
  /** Starts and ends of steps (and run events), in order, across restarts. */
  events: StepEvent[];
  /** Every inference hook consultation, in order. */
  inferences: InferenceRecord[];
  /** Why the run failed or stopped. */
  error?: StoredError;
}

/** A result from records (used at the end of a run and for runs that finished before). */
export function buildResult(
  store: ProgressStore,
  runId: string,
  workflow: Workflow,
  revision: number,
  records: ReadonlyMap<string, StepRecord>,
  status: WorkflowResult['status'],
  error: StoredError | undefined,
): WorkflowResult {
  const outputs: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(workflow.outputs)) {
    const { stepId, path } = parseReference(ref.from);
    const r = records.get(stepId);
    if (r?.status === 'succeeded') {
      const value = valueAtPath(r.output, path);
      if (value !== undefined) outputs[name] = value;
    }
  }
  const ids = new Set(workflow.steps.map((s) => s.id));
  const steps: Record<string, StepRecord> = {};
  for (const [id, r] of records) if (ids.has(id)) steps[id] = r;
  return {
    runId,
    status,
    workflow,
    revision,
    outputs,
    steps,
    events: store.events(runId),
    inferences: store.inferences(runId),
    ...(error === undefined ? {} : { error }),
  };
}
