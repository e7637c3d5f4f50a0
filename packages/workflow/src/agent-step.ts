import { type Clock, type Gateway, LLMRateLimitedError, ProviderCoolingDownError } from '@orrery/core';
import type { z } from 'zod';
import {
  InferenceRefusedError,
  StepCancelledError,
  StepDataError,
  type StepError,
  StepFailedError,
  StepTimeoutError,
  WorkflowErrorCode,
} from './errors.ts';
import { type HookEnv, shouldUseLLM } from './inference/gate.ts';
import { type FieldMapping, mapOutput, shapeSignature } from './inference/mapping.ts';
import { chooseRecovery, hasRecoveryOptions, type RecoverySituation } from './inference/recovery.ts';
import { assertLevelAllows } from './intelligence.ts';
import { hashOf, toJson } from './json.ts';
import { type InferenceHook, modeAllows, type WorkflowMode } from './modes.ts';
import type { InferenceRecord, ProgressStore, StepRecord } from './progress-store.ts';
import type { AgentContext, AgentRegistry, RegisteredAgent } from './registry.ts';
import type { Scheduler } from './scheduler.ts';
import type { Step } from './schema.ts';

/** Settings of the inference hooks (all optional; see `WorkflowEngineOptions.inference`). */
export interface InferenceSettings {
  /** Gateway task per hook (defaults `workflow_recovery`, `workflow_mapping`, `workflow_decision`, `workflow_adaptation`). */
  tasks: Record<InferenceHook, string>;
  /** How long the gateway may cache a hook's answer, in ms (default 10 minutes). */
  cacheTtlMs: number;
  /** Whether hook calls may use the budget's critical reserve (default false). */
  critical: boolean;
  /** Recovery rounds per step after its declared retries (default 2). */
  maxRecoveries: number;
  /** Longest "retry later" delay recovery may choose, in ms (default 60,000). */
  maxRetryDelayMs: number;
  /** How old a remembered output may be to serve as recovery's cached value, in ms (default 1 hour). */
  cachedOutputMaxAgeMs: number;
  /** Revisions of one run's workflow (CREATIVE), at most (default 3). */
  maxAdaptations: number;
}

/** What a step needs from the run executing it. */
export interface StepHost {
  readonly runId: string;
  readonly registry: AgentRegistry;
  readonly store: ProgressStore;
  readonly gateway: Gateway | undefined;
  readonly mode: WorkflowMode;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
  readonly settings: InferenceSettings;
  readonly defaultTimeoutMs: number | undefined;
  /** Aborted when the run is cancelled or fails. */
  readonly signal: AbortSignal;
  hookEnv(hook: InferenceHook): HookEnv;
  recordInference(r: Omit<InferenceRecord, 'seq' | 'at'>): void;
  /** Persists a running step's record (its attempt count, before the agent is called). */
  saveRunning(record: StepRecord): void;
  /** An AUTONOMOUS agent's `ctx.requestAdaptation`. */
  requestAdaptation(stepId: string, reason: string): void;
}

/** How a step ended, before its `onError` policy is applied. */
export type StepOutcome =
  | {
      status: 'succeeded';
      output: unknown;
      via: string;
      /** The agent and input hash the output should be remembered under (recovery's cached value). */
      remember?: { agent: string; inputHash: string };
    }
  | { status: 'failed'; error: StepError }
  | { status: 'cancelled'; error: StepError };

/** The reason a step's timer is disarmed with (a constant: no DOMException per step). */
const FINISHED = Symbol('step finished');

type Attempt =
  | { ok: true; output: unknown; mapped: boolean }
  | { ok: false; cancelled: boolean; error: StepError };

/**
 * Runs an agent step: validates its input, makes one attempt plus its declared `retries`, then (when
 * the mode allows) recovery rounds. Never throws.
 */
export async function runAgentStep(
  host: StepHost,
  step: Step,
  record: StepRecord,
  rawInput: Record<string, unknown>,
): Promise<StepOutcome> {
  const agent = host.registry.get(step.agent ?? '') as RegisteredAgent;
  const parsed = agent.inputs.safeParse(rawInput);
  if (!parsed.success) {
    return {
      status: 'failed',
      error: new StepDataError(
        WorkflowErrorCode.STEP_INPUT,
        step.id,
        `step ${step.id}: input does not match agent ${agent.name}'s schema`,
        zodIssues(parsed.error),
      ),
    };
  }
  const input = parsed.data;
  let last: StepError | undefined;
  for (let i = 0; i <= step.retries; i++) {
    const r = await attempt(host, step, record, agent, input, agent.output);
    if (r.ok) return succeeded(agent, input, r, 'agent');
    if (r.cancelled) return { status: 'cancelled', error: r.error };
    last = r.error;
  }
  const failure = last as StepError;
  return modeAllows(host.mode, 'recovery')
    ? recover(host, step, record, agent, input, rawInput, failure)
    : { status: 'failed', error: failure };
}

async function recover(
  host: StepHost,
  step: Step,
  record: StepRecord,
  agent: RegisteredAgent,
  input: unknown,
  rawInput: Record<string, unknown>,
  failure: StepError,
): Promise<StepOutcome> {
  const tried = new Set<string>();
  let error = failure;
  for (let round = 1; round <= host.settings.maxRecoveries; round++) {
    const now = host.clock.now();
    const cached = host.store.cachedOutput(
      agent.name,
      hashOf(input),
      now,
      host.settings.cachedOutputMaxAgeMs,
    );
    const situation: RecoverySituation = {
      stepId: step.id,
      agent: agent.name,
      agentDescription: agent.description,
      error: { code: error.code, message: error.message, causeCode: causeCode(error) },
      retryAllowed: true,
      minDelayMs: waitHint(error, now),
      maxDelayMs: host.settings.maxRetryDelayMs,
      alternatives: agent.alternatives.filter((name) => {
        const alt = host.registry.get(name);
        return alt !== undefined && !tried.has(name) && alt.inputs.safeParse(rawInput).success;
      }),
      cachedAvailable: cached !== undefined && agent.output.safeParse(cached.output).success,
      input,
    };
    if (!hasRecoveryOptions(situation)) break;
    const verdict = shouldUseLLM({
      gateway: host.gateway,
      mode: host.mode,
      hook: 'recovery',
      level: agent.intelligence,
      task: host.settings.tasks.recovery,
      critical: host.settings.critical,
    });
    const { choice, source, reason } = await chooseRecovery(host.hookEnv('recovery'), verdict, situation);
    host.recordInference({ stepId: step.id, hook: 'recovery', source, reason, choice });
    if (host.signal.aborted) return cancelled(step, host);
    switch (choice.action) {
      case 'give_up':
        return { status: 'failed', error };
      case 'cached':
        return { status: 'succeeded', output: toJson(cached?.output), via: 'cached' };
      case 'retry_later': {
        try {
          await host.scheduler.sleep(choice.delayMs, host.signal);
        } catch {
          return cancelled(step, host);
        }
        const r = await attempt(host, step, record, agent, input, agent.output);
        if (r.ok) return succeeded(agent, input, r, 'retry');
        if (r.cancelled) return { status: 'cancelled', error: r.error };
        error = r.error;
        break;
      }
      case 'alternative': {
        tried.add(choice.agent);
        const alt = host.registry.get(choice.agent) as RegisteredAgent;
        const altInput = alt.inputs.parse(rawInput);
        // The alternative must give what the original promised: later steps read it by that schema.
        const r = await attempt(host, step, record, alt, altInput, agent.output);
        if (r.ok) return succeeded(alt, altInput, r, `alternative:${alt.name}`);
        if (r.cancelled) return { status: 'cancelled', error: r.error };
        error = r.error;
        break;
      }
      default: {
        const never: never = choice;
        throw new Error(`unknown recovery action ${JSON.stringify(never)}`);
      }
    }
  }
  return { status: 'failed', error };
}

/** One invocation of an agent under the step's time limit, then output validation (and mapping). */
async function attempt(
  host: StepHost,
  step: Step,
  record: StepRecord,
  agent: RegisteredAgent,
  input: unknown,
  outputSchema: z.ZodType,
): Promise<Attempt> {
  if (host.signal.aborted) return { ok: false, cancelled: true, error: cancelledError(step, host) };
  record.attempts += 1;
  host.saveRunning(record);
  const ctrl = new AbortController();
  const onRunAbort = () => ctrl.abort(host.signal.reason);
  host.signal.addEventListener('abort', onRunAbort, { once: true });
  const timeoutMs = step.timeoutMs ?? host.defaultTimeoutMs;
  const timer = timeoutMs === undefined ? undefined : new AbortController();
  let timedOut = false;
  if (timer !== undefined && timeoutMs !== undefined) {
    host.scheduler.sleep(timeoutMs, timer.signal).then(
      () => {
        timedOut = true;
        ctrl.abort(new StepTimeoutError(step.id, timeoutMs));
      },
      () => {},
    );
  }
  const stopped = new Promise<never>((_, reject) => {
    ctrl.signal.addEventListener('abort', () => reject(ctrl.signal.reason), { once: true });
  });
  const work = Promise.resolve().then(() =>
    agent.run(input, context(host, step, record, agent, ctrl.signal)),
  );
  // Whichever loses the race must not surface as an unhandled rejection.
  work.catch(() => {});
  stopped.catch(() => {});
  let raw: unknown;
  try {
    raw = await Promise.race([work, stopped]);
  } catch (err) {
    if (timedOut)
      return { ok: false, cancelled: false, error: new StepTimeoutError(step.id, timeoutMs as number) };
    if (host.signal.aborted) return { ok: false, cancelled: true, error: cancelledError(step, host) };
    return { ok: false, cancelled: false, error: new StepFailedError(step.id, agent.name, err) };
  } finally {
    timer?.abort(FINISHED);
    host.signal.removeEventListener('abort', onRunAbort);
  }
  return checkOutput(host, step, agent, raw, outputSchema);
}

async function checkOutput(
  host: StepHost,
  step: Step,
  agent: RegisteredAgent,
  raw: unknown,
  schema: z.ZodType,
): Promise<Attempt> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return json(step, agent, parsed.data, false);
  const issues = zodIssues(parsed.error);
  const invalid = () =>
    new StepDataError(
      WorkflowErrorCode.STEP_OUTPUT,
      step.id,
      `step ${step.id}: output of agent ${agent.name} does not match its schema`,
      issues,
    );
  if (!modeAllows(host.mode, 'mapping')) return { ok: false, cancelled: false, error: invalid() };
  const signature = shapeSignature(raw);
  const outcome = await mapOutput(
    host.hookEnv('mapping'),
    shouldUseLLM({
      gateway: host.gateway,
      mode: host.mode,
      hook: 'mapping',
      level: agent.intelligence,
      task: host.settings.tasks.mapping,
      critical: host.settings.critical,
    }),
    {
      agent: agent.name,
      schema,
      actual: raw,
      issues,
      remembered: host.store.findMapping(agent.name, signature) as FieldMapping[] | undefined,
    },
  );
  host.recordInference({
    stepId: step.id,
    hook: 'mapping',
    source: outcome.source,
    reason: outcome.ok ? outcome.reason : outcome.reason,
    choice: outcome.ok ? { mappings: outcome.mappings } : null,
  });
  if (!outcome.ok) return { ok: false, cancelled: false, error: invalid() };
  if (outcome.source === 'llm')
    host.store.saveMapping(agent.name, signature, outcome.mappings, host.clock.now());
  return json(step, agent, outcome.value, true);
}

function json(step: Step, agent: RegisteredAgent, value: unknown, mapped: boolean): Attempt {
  try {
    return { ok: true, output: toJson(value), mapped };
  } catch (err) {
    const error = new StepDataError(
      WorkflowErrorCode.STEP_OUTPUT,
      step.id,
      `step ${step.id}: output of agent ${agent.name} is not JSON (${(err as Error).message})`,
      [],
    );
    return { ok: false, cancelled: false, error };
  }
}

function context(
  host: StepHost,
  step: Step,
  record: StepRecord,
  agent: RegisteredAgent,
  signal: AbortSignal,
): AgentContext {
  let used = 0;
  return {
    runId: host.runId,
    stepId: step.id,
    agent: agent.name,
    attempt: record.attempts,
    signal,
    mode: host.mode,
    level: agent.intelligence,
    infer: async (request) => {
      assertLevelAllows({
        agent: agent.name,
        level: agent.intelligence,
        capability: 'reasoning',
        used,
        stepId: step.id,
      });
      if (host.gateway === undefined) {
        throw new InferenceRefusedError({
          agent: agent.name,
          level: agent.intelligence,
          capability: 'reasoning',
          stepId: step.id,
          reason: 'the engine has no gateway',
        });
      }
      used += 1;
      return host.gateway.execute({ ...request, agent: `workflow:${agent.name}`, signal });
    },
    requestAdaptation: (reason) => {
      assertLevelAllows({
        agent: agent.name,
        level: agent.intelligence,
        capability: 'adaptation',
        stepId: step.id,
      });
      host.requestAdaptation(step.id, reason);
    },
  };
}

function succeeded(
  agent: RegisteredAgent,
  input: unknown,
  r: Extract<Attempt, { ok: true }>,
  via: string,
): StepOutcome {
  return {
    status: 'succeeded',
    output: r.output,
    via: r.mapped ? `${via}+mapped` : via,
    remember: { agent: agent.name, inputHash: hashOf(input) },
  };
}

function cancelled(step: Step, host: StepHost): StepOutcome {
  return { status: 'cancelled', error: cancelledError(step, host) };
}

function cancelledError(step: Step, host: StepHost): StepError {
  const reason = host.signal.reason;
  return new StepCancelledError(
    step.id,
    reason instanceof Error ? reason.message : String(reason ?? 'aborted'),
  );
}

/** How long a failure says to wait: until a 429's cooldown ends (found anywhere in the cause chain). */
function waitHint(error: unknown, now: number): number {
  for (let e: unknown = error, depth = 0; e !== undefined && depth < 8; depth++) {
    if (e instanceof LLMRateLimitedError) return Math.max(0, e.cooldownUntil - now);
    if (e instanceof ProviderCoolingDownError) return Math.max(0, e.until - now);
    e = (e as { cause?: unknown } | null)?.cause;
  }
  return 0;
}

/** The `code` of the innermost cause that has one (an `LLMError`, a system error…). */
function causeCode(error: StepError): string | undefined {
  let found: string | undefined;
  for (let e: unknown = error.cause, depth = 0; e !== undefined && e !== null && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') found = code;
    e = (e as { cause?: unknown }).cause;
  }
  return found;
}

function zodIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}
