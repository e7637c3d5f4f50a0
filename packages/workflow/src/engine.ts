import { randomUUID } from 'node:crypto';
import { type Clock, type Gateway, systemClock } from '@orrery/core';
import type { InferenceSettings } from './agent-step.ts';
import { RunError, WorkflowErrorCode } from './errors.ts';
import { Execution } from './execution.ts';
import { WorkflowMode as Modes, type WorkflowMode } from './modes.ts';
import { ProgressStore, type StepEvent, type StepRecord } from './progress-store.ts';
import type { AgentRegistry } from './registry.ts';
import { buildResult, type WorkflowResult } from './result.ts';
import { realScheduler, type Scheduler } from './scheduler.ts';
import type { Workflow } from './schema.ts';
import { validateWorkflow } from './validate.ts';

/** Options of {@link WorkflowEngine}. */
export interface WorkflowEngineOptions {
  /** The agents steps may call. */
  registry: AgentRegistry;
  /** SQLite file for progress (WAL); the same file lets a restarted engine resume. `':memory:'` keeps nothing. */
  dbPath: string;
  /** Needed only for inference hooks and `ctx.infer`; without it every hook uses its fallback. */
  gateway?: Gateway | undefined;
  /** Default `STRICT`. */
  mode?: WorkflowMode;
  /** Timestamps of records and events, cache ages (default: the system clock). */
  clock?: Clock;
  /** Time limits and recovery delays (default: real timers). */
  scheduler?: Scheduler;
  /** Time limit of a step attempt without its own `timeoutMs`, in ms (default: none). */
  defaultTimeoutMs?: number;
  /** Steps running at once, at most (default: unlimited — as many as the dependencies allow). */
  concurrency?: number;
  /** Inference hook settings (tasks, caching, bounds). */
  inference?: Partial<InferenceSettings>;
  /** Called after each event is persisted (step start/end, run start/resume/end, revision); its errors are ignored. */
  onEvent?: (event: StepEvent) => void;
}

/** Options of {@link WorkflowEngine.run}. */
export interface RunOptions {
  /** The run's id in the progress store (default: a random UUID). Use it to `resume`. */
  runId?: string;
  /** Cancels the run: running steps see their signal abort and are recorded `cancelled`. */
  signal?: AbortSignal;
}

/** Default hook settings. */
export const DEFAULT_INFERENCE_SETTINGS: InferenceSettings = {
  tasks: {
    recovery: 'workflow_recovery',
    mapping: 'workflow_mapping',
    decision: 'workflow_decision',
    adaptation: 'workflow_adaptation',
  },
  cacheTtlMs: 600_000,
  critical: false,
  maxRecoveries: 2,
  maxRetryDelayMs: 60_000,
  cachedOutputMaxAgeMs: 3_600_000,
  maxAdaptations: 3,
};

/**
 * Executes workflows without needing an LLM: maximum parallelism, every step recorded in SQLite before
 * the next thing happens, no retries unless a step declares them, per-step time limits, cancellation,
 * and resumption after a restart (succeeded steps are not re-run; their outputs are loaded).
 *
 * @example
 * const engine = new WorkflowEngine({ registry, dbPath: 'runs.db', gateway, mode: WorkflowMode.ADAPTIVE });
 * const result = await engine.run(workflow, { runId: 'daily-2026-01-01', signal });
 * // after a crash, in a new process:
 * const resumed = await new WorkflowEngine({ registry, dbPath: 'runs.db' }).resume('daily-2026-01-01');
 */
export class WorkflowEngine {
  readonly mode: WorkflowMode;
  readonly #options: WorkflowEngineOptions;
  readonly #store: ProgressStore;
  readonly #settings: InferenceSettings;
  readonly #owner = randomUUID();
  readonly #active = new Map<string, { execution: Execution; done: Promise<WorkflowResult> }>();
  #closed = false;

  constructor(options: WorkflowEngineOptions) {
    this.#options = options;
    this.mode = options.mode ?? Modes.STRICT;
    if (!(this.mode in Modes)) throw new RangeError(`unknown workflow mode ${String(this.mode)}`);
    const concurrency = options.concurrency ?? Number.POSITIVE_INFINITY;
    if (!(concurrency >= 1)) throw new RangeError(`concurrency must be >= 1, got ${concurrency}`);
    this.#settings = {
      ...DEFAULT_INFERENCE_SETTINGS,
      ...options.inference,
      tasks: { ...DEFAULT_INFERENCE_SETTINGS.tasks, ...options.inference?.tasks },
    };
    this.#store = new ProgressStore(options.dbPath);
  }

  /**
   * Validates and runs a workflow. Throws `WorkflowSchemaError`/`WorkflowValidationError` (nothing ran)
   * or `RunError` (`RUN_EXISTS`: use {@link resume}). Step failures do not throw: the result says
   * `failed` and names the step.
   */
  async run(workflow: unknown, options: RunOptions = {}): Promise<WorkflowResult> {
    this.#assertOpen();
    const wf = validateWorkflow(workflow, this.#options.registry);
    const runId = options.runId ?? randomUUID();
    if (this.#active.has(runId))
      throw new RunError(
        WorkflowErrorCode.RUN_ACTIVE,
        runId,
        `run ${runId} is already executing in this engine`,
      );
    if (this.#store.hasRun(runId)) {
      throw new RunError(
        WorkflowErrorCode.RUN_EXISTS,
        runId,
        `run ${runId} exists already; resume it or choose another runId`,
      );
    }
    const now = this.#clock().now();
    this.#store.createRun(runId, wf, this.mode, this.#owner, now);
    const execution = this.#execution(runId, wf, 0, new Map());
    this.#emit(this.#store.addEvent(runId, { stepId: '*', kind: 'run_start', status: this.mode, at: now }));
    return this.#track(runId, execution, options.signal);
  }

  /**
   * Continues a run from the progress store: steps that succeeded, were skipped or failed-and-handled
   * keep their records and outputs; steps that were running (the engine died) or cancelled run again.
   * A run that already succeeded or failed is returned as stored, without running anything. Runs in
   * this engine's mode. Throws `RunError` (`RUN_NOT_FOUND`, `RUN_ACTIVE`) or, when the registry no longer
   * fits the stored workflow, `WorkflowValidationError`.
   */
  async resume(runId: string, options: Omit<RunOptions, 'runId'> = {}): Promise<WorkflowResult> {
    this.#assertOpen();
    if (this.#active.has(runId))
      throw new RunError(
        WorkflowErrorCode.RUN_ACTIVE,
        runId,
        `run ${runId} is already executing in this engine`,
      );
    const stored = this.#store.loadRun(runId);
    if (stored === undefined)
      throw new RunError(WorkflowErrorCode.RUN_NOT_FOUND, runId, `no run ${runId} in the progress store`);
    if (stored.status === 'succeeded' || stored.status === 'failed') {
      return buildResult(
        this.#store,
        runId,
        stored.workflow,
        stored.revision,
        stored.steps,
        stored.status,
        stored.error,
      );
    }
    const wf: Workflow = validateWorkflow(stored.workflow, this.#options.registry);
    const kept = new Map<string, StepRecord>();
    const attempts = new Map<string, number>();
    for (const [id, r] of stored.steps) {
      if (
        r.status === 'succeeded' ||
        r.status === 'skipped' ||
        (r.status === 'failed' && r.via === 'adapted')
      )
        kept.set(id, r);
      else attempts.set(id, r.attempts);
    }
    const now = this.#clock().now();
    this.#store.claimRun(runId, this.#owner, now);
    this.#emit(this.#store.addEvent(runId, { stepId: '*', kind: 'run_resume', status: this.mode, at: now }));
    const unhandled = [...stored.steps.values()].find((r) => r.status === 'failed' && r.via !== 'adapted');
    if (unhandled !== undefined) {
      // The engine died between recording a failed step and failing the run: finish that job.
      const error = unhandled.error ?? {
        code: WorkflowErrorCode.STEP_FAILED,
        message: `step ${unhandled.stepId} failed`,
        stepId: unhandled.stepId,
      };
      this.#store.setRunStatus(runId, 'failed', error, now);
      this.#emit(this.#store.addEvent(runId, { stepId: '*', kind: 'run_end', status: 'failed', at: now }));
      return buildResult(this.#store, runId, wf, stored.revision, stored.steps, 'failed', error);
    }
    const execution = this.#execution(runId, wf, stored.revision, kept);
    execution.rememberAttempts(attempts);
    return this.#track(runId, execution, options.signal);
  }

  /** The stored result of a run (finished or not), without running anything; `undefined` when unknown. */
  inspect(runId: string): WorkflowResult | undefined {
    const stored = this.#store.loadRun(runId);
    if (stored === undefined) return undefined;
    const status = stored.status === 'running' ? 'cancelled' : stored.status;
    return buildResult(
      this.#store,
      runId,
      stored.workflow,
      stored.revision,
      stored.steps,
      status,
      stored.error,
    );
  }

  /** Cancels the runs in progress, waits for them to record it, and closes the progress store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const { execution } of this.#active.values()) execution.cancel('engine closed');
    await Promise.allSettled([...this.#active.values()].map((a) => a.done));
    this.#store.close();
  }

  #execution(runId: string, wf: Workflow, revision: number, records: Map<string, StepRecord>): Execution {
    return new Execution(
      {
        runId,
        owner: this.#owner,
        registry: this.#options.registry,
        store: this.#store,
        gateway: this.#options.gateway,
        mode: this.mode,
        clock: this.#clock(),
        scheduler: this.#options.scheduler ?? realScheduler,
        settings: this.#settings,
        defaultTimeoutMs: this.#options.defaultTimeoutMs,
        concurrency: this.#options.concurrency ?? Number.POSITIVE_INFINITY,
        onEvent: this.#options.onEvent,
      },
      wf,
      revision,
      records,
    );
  }

  #track(runId: string, execution: Execution, signal: AbortSignal | undefined): Promise<WorkflowResult> {
    const done = execution.drive(signal).finally(() => this.#active.delete(runId));
    this.#active.set(runId, { execution, done });
    return done;
  }

  #emit(event: StepEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // A listener's failure is its own.
    }
  }

  #clock(): Clock {
    return this.#options.clock ?? systemClock;
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error('WorkflowEngine is closed');
  }
}
