import type { Clock, Gateway } from '@orrery/core';
import { type InferenceSettings, runAgentStep, type StepHost } from './agent-step.ts';
import { runDecisionStep } from './decision-step.ts';
import { describe, StepFailedError, WorkflowErrorCode } from './errors.ts';
import { adaptWorkflow } from './inference/adaptation.ts';
import { evaluateCondition, type Lookup } from './inference/decision.ts';
import { type HookEnv, shouldUseLLM } from './inference/gate.ts';
import type { IntelligenceLevel } from './intelligence.ts';
import { toJson } from './json.ts';
import { type InferenceHook, modeAllows, type WorkflowMode } from './modes.ts';
import type { InferenceRecord, ProgressStore, StepEvent, StepRecord, StoredError } from './progress-store.ts';
import type { AgentRegistry } from './registry.ts';
import { buildResult, type WorkflowResult } from './result.ts';
import type { Scheduler } from './scheduler.ts';
import { dataDependenciesOf, dependenciesOf, parseReference, type Step, type Workflow } from './schema.ts';
import { valueAtPath } from './schema-path.ts';

/** Everything a run needs from its engine. */
export interface ExecutionDeps {
  runId: string;
  owner: string;
  registry: AgentRegistry;
  store: ProgressStore;
  gateway: Gateway | undefined;
  mode: WorkflowMode;
  clock: Clock;
  scheduler: Scheduler;
  settings: InferenceSettings;
  defaultTimeoutMs: number | undefined;
  concurrency: number;
  onEvent: ((e: StepEvent) => void) | undefined;
}

const TERMINAL = new Set(['succeeded', 'skipped', 'failed']);

/**
 * One run of a workflow: starts every step whose dependencies have finished (as many at once as the
 * dependencies and `concurrency` allow), records each start and end before anything else happens, applies
 * policies, consults hooks, and stops everything on an unhandled failure or cancellation.
 */
export class Execution implements StepHost {
  readonly runId: string;
  readonly registry: AgentRegistry;
  readonly store: ProgressStore;
  readonly gateway: Gateway | undefined;
  readonly mode: WorkflowMode;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly settings: InferenceSettings;
  readonly defaultTimeoutMs: number | undefined;
  readonly #deps: ExecutionDeps;
  readonly #controller = new AbortController();
  readonly #records: Map<string, StepRecord>;
  readonly #inflight = new Map<string, Promise<void>>();
  readonly #adaptationRequests = new Map<string, string[]>();
  #workflow: Workflow;
  #revision: number;
  #adaptation: Promise<unknown> | undefined;
  #adaptations = 0;
  #failure: StoredError | undefined;
  #cancelled: StoredError | undefined;
  #detached = false;

  constructor(deps: ExecutionDeps, workflow: Workflow, revision: number, records: Map<string, StepRecord>) {
    this.#deps = deps;
    this.runId = deps.runId;
    this.registry = deps.registry;
    this.store = deps.store;
    this.gateway = deps.gateway;
    this.mode = deps.mode;
    this.clock = deps.clock;
    this.scheduler = deps.scheduler;
    this.settings = deps.settings;
    this.defaultTimeoutMs = deps.defaultTimeoutMs;
    this.#workflow = workflow;
    this.#revision = revision;
    this.#records = records;
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Stops the run: running steps are aborted and recorded as cancelled; nothing new starts. */
  cancel(reason: string): void {
    this.#cancelled ??= {
      code: WorkflowErrorCode.CANCELLED,
      message: `run ${this.runId} cancelled: ${reason}`,
    };
    this.#controller.abort(new Error(reason));
  }

  /** Runs until every step finished, or the run failed or was cancelled. */
  async drive(signal: AbortSignal | undefined): Promise<WorkflowResult> {
    const onAbort = () => this.cancel(describe(signal?.reason ?? 'signal aborted'));
    if (signal?.aborted) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        // Every start made now (records, events, first attempts) commits in one transaction, before any
        // agent runs: agents are called from a microtask.
        if (!this.#stopping() && this.#adaptation === undefined) this.store.batch(() => this.#startReady());
        const waits: Promise<unknown>[] = [...this.#inflight.values()];
        if (this.#adaptation !== undefined) waits.push(this.#adaptation);
        if (waits.length === 0) break;
        await Promise.race(waits);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return this.#finish();
  }

  hookEnv(hook: InferenceHook): HookEnv {
    return {
      gateway: this.gateway,
      mode: this.mode,
      task: this.settings.tasks[hook],
      cacheTtlMs: this.settings.cacheTtlMs,
      critical: this.settings.critical,
      signal: this.signal,
    };
  }

  recordInference(r: Omit<InferenceRecord, 'seq' | 'at'>): void {
    if (this.#owned()) this.store.addInference(this.runId, { ...r, at: this.clock.now() });
  }

  saveRunning(record: StepRecord): void {
    if (this.#owned()) this.store.saveStep(this.runId, record);
  }

  requestAdaptation(stepId: string, reason: string): void {
    const list = this.#adaptationRequests.get(stepId) ?? [];
    list.push(reason);
    this.#adaptationRequests.set(stepId, list);
  }

  #stopping(): boolean {
    return this.#failure !== undefined || this.#cancelled !== undefined || this.#detached;
  }

  /** Starts (or skips) every step whose dependencies are all finished, until nothing changes. */
  #startReady(): void {
    for (let progressed = true; progressed; ) {
      progressed = false;
      for (const step of this.#workflow.steps) {
        if (this.#records.has(step.id)) continue;
        if (this.#inflight.size >= this.#deps.concurrency) return;
        if (!dependenciesOf(step).every((d) => TERMINAL.has(this.#records.get(d)?.status ?? ''))) continue;
        const skip = this.#skipReason(step);
        if (skip !== undefined) {
          this.#end(step, { ...this.#fresh(step), status: 'skipped', via: skip });
          progressed = true;
        } else this.#start(step);
      }
    }
  }

  #skipReason(step: Step): string | undefined {
    if (dataDependenciesOf(step).some((d) => this.#records.get(d)?.status !== 'succeeded')) return 'upstream';
    if (step.when !== undefined && !evaluateCondition(step.when, this.#lookup)) return 'condition';
    return undefined;
  }

  #start(step: Step): void {
    const record: StepRecord = { ...this.#fresh(step), status: 'running', startedAt: this.clock.now() };
    this.#records.set(step.id, record);
    if (this.#owned()) {
      this.store.saveStep(this.runId, record);
      this.#event({ stepId: step.id, kind: 'start', status: 'running' });
    }
    const p = this.#execute(step, record)
      .catch((err: unknown) => {
        // A bug in the engine, not in a step: fail loudly in the record, quietly for the process.
        const error = new StepFailedError(step.id, step.agent ?? 'decision', err);
        this.#end(step, { ...record, status: 'failed', error: error.toJSON() });
        this.#fail(error.toJSON());
      })
      .finally(() => this.#inflight.delete(step.id));
    this.#inflight.set(step.id, p);
  }

  async #execute(step: Step, record: StepRecord): Promise<void> {
    const outcome =
      step.decide === undefined
        ? await runAgentStep(this, step, record, this.#inputs(step))
        : await runDecisionStep(this, step, this.#lookup, this.#inputs(step));
    if (outcome.status === 'succeeded') {
      this.#end(
        step,
        { ...record, status: 'succeeded', output: outcome.output, via: outcome.via },
        outcome.remember,
      );
      this.#afterSuccess(step);
      return;
    }
    const error = outcome.error.toJSON();
    if (outcome.status === 'cancelled') {
      this.#end(step, { ...record, status: 'cancelled', error });
      return;
    }
    const policy = step.onError;
    switch (policy.type) {
      case 'fallback':
        this.#end(step, {
          ...record,
          status: 'succeeded',
          output: toJson(policy.value),
          error,
          via: 'fallback',
        });
        return;
      case 'skip':
        this.#end(step, { ...record, status: 'skipped', error, via: 'policy' });
        return;
      case 'fail': {
        if (modeAllows(this.mode, 'adaptation') && !this.#stopping()) {
          const revised = await this.#adapt({ kind: 'failure', stepId: step.id, error }, undefined, step.id);
          if (revised) {
            this.#end(step, { ...record, status: 'failed', error, via: 'adapted' });
            return;
          }
        }
        this.#end(step, { ...record, status: 'failed', error });
        this.#fail(error);
        return;
      }
      default: {
        const never: never = policy;
        throw new Error(`unknown policy ${JSON.stringify(never)}`);
      }
    }
  }

  /** An AUTONOMOUS agent asked for a revision: in CREATIVE mode, revise before anything else starts. */
  #afterSuccess(step: Step): void {
    const reasons = this.#adaptationRequests.get(step.id);
    if (reasons === undefined) return;
    this.#adaptationRequests.delete(step.id);
    const agent = this.registry.get(step.agent ?? '');
    if (!modeAllows(this.mode, 'adaptation')) {
      this.recordInference({
        stepId: step.id,
        hook: 'adaptation',
        source: 'fallback',
        reason: 'mode',
        choice: { action: 'keep', requested: reasons },
      });
      return;
    }
    void this.#adapt(
      { kind: 'request', stepId: step.id, reason: reasons.join('; ') },
      agent?.intelligence,
      undefined,
    );
  }

  /**
   * Queues a revision of the not-yet-started steps (one at a time; nothing starts meanwhile). Resolves
   * true when the workflow was revised.
   */
  #adapt(
    trigger:
      | { kind: 'failure'; stepId: string; error: StoredError }
      | { kind: 'request'; stepId: string; reason: string },
    level: IntelligenceLevel | undefined,
    failing: string | undefined,
  ): Promise<boolean> {
    const run = async (): Promise<boolean> => {
      if (this.#stopping()) return false;
      if (this.#adaptations >= this.settings.maxAdaptations) {
        this.recordInference({
          stepId: trigger.stepId,
          hook: 'adaptation',
          source: 'fallback',
          reason: 'limit',
          choice: { action: 'keep' },
        });
        return false;
      }
      const verdict = shouldUseLLM({
        gateway: this.gateway,
        mode: this.mode,
        hook: 'adaptation',
        level,
        task: this.settings.tasks.adaptation,
        critical: this.settings.critical,
      });
      const failed = new Set(
        [...this.#records.values()].filter((r) => r.status === 'failed').map((r) => r.stepId),
      );
      if (failing !== undefined) failed.add(failing);
      const statuses: Record<string, string> = {};
      const outputs: Record<string, unknown> = {};
      for (const s of this.#workflow.steps) {
        const r = this.#records.get(s.id);
        statuses[s.id] = s.id === failing ? 'failed' : (r?.status ?? 'pending');
        if (r?.status === 'succeeded') outputs[s.id] = r.output;
      }
      const outcome = await adaptWorkflow(this.hookEnv('adaptation'), verdict, {
        workflow: this.#workflow,
        registry: this.registry,
        frozen: new Set(this.#records.keys()),
        failed,
        statuses,
        outputs,
        trigger,
      });
      const applied = outcome.revised !== undefined && !this.#stopping();
      if (applied && outcome.revised !== undefined) {
        this.#adaptations += 1;
        this.#workflow = outcome.revised;
        if (this.#owned()) {
          this.#revision = this.store.reviseWorkflow(this.runId, outcome.revised, this.clock.now());
          this.#event({ stepId: '*', kind: 'revision', status: String(this.#revision) });
        }
      }
      this.recordInference({
        stepId: trigger.stepId,
        hook: 'adaptation',
        source: outcome.source,
        reason: outcome.reason,
        choice: {
          action: applied ? 'replace' : 'keep',
          steps: outcome.revised?.steps.map((s) => s.id),
        },
      });
      return applied;
    };
    const next = (this.#adaptation ?? Promise.resolve()).then(run, run);
    const gate = next.then(
      () => undefined,
      () => undefined,
    );
    this.#adaptation = gate;
    void gate.then(() => {
      if (this.#adaptation === gate) this.#adaptation = undefined;
    });
    return next.catch(() => false);
  }

  #inputs(step: Step): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, src] of Object.entries(step.inputs)) {
      const value = 'value' in src ? src.value : this.#lookup(src.from);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }

  readonly #lookup: Lookup = (from) => {
    const { stepId, path } = parseReference(from);
    const r = this.#records.get(stepId);
    return r?.status === 'succeeded' ? valueAtPath(r.output, path) : undefined;
  };

  #fresh(step: Step): StepRecord {
    return {
      stepId: step.id,
      status: 'running',
      attempts: this.#previousAttempts.get(step.id) ?? 0,
      startedAt: undefined,
      endedAt: undefined,
      output: undefined,
      error: undefined,
      via: undefined,
    };
  }

  /** Attempts made by earlier sessions of a resumed run, by step. */
  readonly #previousAttempts = new Map<string, number>();

  /** Carries attempt counts of steps that will run again after a restart. */
  rememberAttempts(attempts: ReadonlyMap<string, number>): void {
    for (const [id, n] of attempts) this.#previousAttempts.set(id, n);
  }

  /** Records a step's end: its record, the end event and (for an agent's output) the output cache, in one transaction. */
  #end(step: Step, record: StepRecord, remember?: { agent: string; inputHash: string }): void {
    const done: StepRecord = { ...record, endedAt: this.clock.now() };
    this.#records.set(step.id, done);
    if (!this.#owned()) return;
    this.store.batch(() => {
      this.store.saveStep(this.runId, done);
      if (remember !== undefined)
        this.store.cacheOutput(remember.agent, remember.inputHash, done.output, done.endedAt ?? 0);
      this.#event({ stepId: step.id, kind: 'end', status: done.status });
    });
  }

  #fail(error: StoredError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    this.#controller.abort(new Error(`step ${error.stepId ?? '?'} failed: ${error.message}`));
  }

  #event(e: Omit<StepEvent, 'seq' | 'at'>): void {
    const event = this.store.addEvent(this.runId, { ...e, at: this.clock.now() });
    const listener = this.#deps.onEvent;
    if (listener === undefined) return;
    // After the write commits, and a listener's failure is its own: it must not undo or stop the run.
    queueMicrotask(() => {
      try {
        listener(event);
      } catch {
        // ignored by design
      }
    });
  }

  /** False once another engine has claimed the run (this one was presumed dead): stop writing. */
  #owned(): boolean {
    if (this.#detached) return false;
    if (this.store.ownerOf(this.runId) === this.#deps.owner) return true;
    this.#detached = true;
    this.#controller.abort(new Error(`run ${this.runId} was resumed by another engine`));
    return false;
  }

  #finish(): WorkflowResult {
    const missing = this.#workflow.steps.filter((s) => !TERMINAL.has(this.#records.get(s.id)?.status ?? ''));
    let status: WorkflowResult['status'] = 'succeeded';
    let error: StoredError | undefined;
    if (this.#failure !== undefined) {
      status = 'failed';
      error = this.#failure;
    } else if (this.#cancelled !== undefined || this.#detached) {
      status = 'cancelled';
      error = this.#cancelled ?? {
        code: WorkflowErrorCode.CANCELLED,
        message: `run ${this.runId} was resumed by another engine`,
      };
    } else if (missing.length > 0) {
      status = 'failed';
      error = {
        code: WorkflowErrorCode.STEP_FAILED,
        message: `steps never became ready: ${missing.map((s) => s.id).join(', ')}`,
      };
    }
    if (this.#owned()) {
      this.store.setRunStatus(this.runId, status, error, this.clock.now());
      this.#event({ stepId: '*', kind: 'run_end', status });
    }
    return buildResult(this.store, this.runId, this.#workflow, this.#revision, this.#records, status, error);
  }
}
