import { type ErrorJSON, OrreryError } from '@orrery/errors';

/**
 * Every failure of `@orrery/workflow` is a {@link WorkflowError} with a stable `code` callers can switch
 * on. Step failures are recorded (as `{ code, message }`) in the run's step records; only bad input
 * (an invalid workflow, an unknown run, a refused inference) is thrown.
 */
export const WorkflowErrorCode = {
  /** The workflow does not match `workflowSchema`. */
  SCHEMA: 'ORRERY_WORKFLOW_SCHEMA',
  /** The workflow matches the schema but is not executable (cycle, unknown agent, missing input…). */
  INVALID: 'ORRERY_WORKFLOW_INVALID',
  /** The planner's answer was invalid twice (first answer and its one repair). */
  PLAN_REJECTED: 'ORRERY_WORKFLOW_PLAN_REJECTED',
  /** An agent definition is unusable, or its name is taken. */
  REGISTRY: 'ORRERY_WORKFLOW_REGISTRY',
  /** An agent threw (or rejected). */
  STEP_FAILED: 'ORRERY_WORKFLOW_STEP_FAILED',
  /** A step exceeded its time limit. */
  STEP_TIMEOUT: 'ORRERY_WORKFLOW_STEP_TIMEOUT',
  /** A step's resolved input does not match its agent's input schema. */
  STEP_INPUT: 'ORRERY_WORKFLOW_STEP_INPUT',
  /** A step's output does not match its agent's output schema (or is not JSON). */
  STEP_OUTPUT: 'ORRERY_WORKFLOW_STEP_OUTPUT',
  /** The run was cancelled (its `AbortSignal` fired) or stopped because another step failed. */
  CANCELLED: 'ORRERY_WORKFLOW_CANCELLED',
  /** A decision step had no valid branch and no default. */
  DECISION: 'ORRERY_WORKFLOW_DECISION',
  /** An agent asked for inference its intelligence level does not allow. */
  INFERENCE_REFUSED: 'ORRERY_WORKFLOW_INFERENCE_REFUSED',
  /** No run with this id in the progress store. */
  RUN_NOT_FOUND: 'ORRERY_WORKFLOW_RUN_NOT_FOUND',
  /** A run with this id exists already (use `resume`). */
  RUN_EXISTS: 'ORRERY_WORKFLOW_RUN_EXISTS',
  /** This engine is already executing the run. */
  RUN_ACTIVE: 'ORRERY_WORKFLOW_RUN_ACTIVE',
} as const;

/** One of {@link WorkflowErrorCode}'s values. */
export type WorkflowErrorCode = (typeof WorkflowErrorCode)[keyof typeof WorkflowErrorCode];

/** Base of every workflow error. `instanceof` works across duplicate copies of the package. */
export class WorkflowError extends OrreryError<WorkflowErrorCode> {
  static override readonly brand: string = 'orrery.workflow.WorkflowError';
  /** The step concerned, when there is one. */
  readonly stepId: string | undefined;

  constructor(code: WorkflowErrorCode, message: string, options: ErrorOptions & { stepId?: string } = {}) {
    super(code, message, options);
    this.stepId = options.stepId;
  }

  /** A plain description for step records, the progress store and logs. */
  override toJSON(): ErrorJSON<WorkflowErrorCode> & { stepId?: string } {
    return { ...super.toJSON(), ...(this.stepId === undefined ? {} : { stepId: this.stepId }) };
  }
}

/** Why a workflow is not executable: one entry per problem, each naming the step (when there is one). */
export const WorkflowIssueCode = {
  DUPLICATE_STEP: 'DUPLICATE_STEP',
  UNKNOWN_AGENT: 'UNKNOWN_AGENT',
  UNKNOWN_DEPENDENCY: 'UNKNOWN_DEPENDENCY',
  CYCLE: 'CYCLE',
  UNKNOWN_REFERENCE: 'UNKNOWN_REFERENCE',
  INVALID_REFERENCE_PATH: 'INVALID_REFERENCE_PATH',
  MISSING_INPUT: 'MISSING_INPUT',
  UNKNOWN_INPUT: 'UNKNOWN_INPUT',
  INVALID_LITERAL: 'INVALID_LITERAL',
  INVALID_FALLBACK: 'INVALID_FALLBACK',
  UNKNOWN_BRANCH: 'UNKNOWN_BRANCH',
  /** Only for a revision of a running workflow: it touches a step that already started or failed. */
  FROZEN_STEP: 'FROZEN_STEP',
  /** The workflow JSON itself does not match the schema. */
  SCHEMA: 'SCHEMA',
} as const;

/** One of {@link WorkflowIssueCode}'s values. */
export type WorkflowIssueCode = (typeof WorkflowIssueCode)[keyof typeof WorkflowIssueCode];

/** One problem found by validation. */
export interface WorkflowIssue {
  code: WorkflowIssueCode;
  /** The step at fault (absent for workflow-level problems such as `outputs`). */
  stepId?: string;
  /** Where in the workflow, e.g. `steps.2.inputs.price` or `outputs.report`. */
  path: string;
  message: string;
}

/** The workflow does not match `workflowSchema`. `issues` carry zod's paths. */
export class WorkflowSchemaError extends WorkflowError {
  readonly issues: readonly WorkflowIssue[];

  constructor(issues: readonly WorkflowIssue[], options: ErrorOptions = {}) {
    super(WorkflowErrorCode.SCHEMA, `workflow does not match the schema: ${summarise(issues)}`, options);
    this.name = 'WorkflowSchemaError';
    this.issues = issues;
  }
}

/** The workflow is not executable; `issues` lists every problem found, each naming its step. Nothing ran. */
export class WorkflowValidationError extends WorkflowError {
  readonly issues: readonly WorkflowIssue[];

  constructor(issues: readonly WorkflowIssue[]) {
    const first = issues[0];
    super(WorkflowErrorCode.INVALID, `workflow is not executable; nothing ran: ${summarise(issues)}`, {
      ...(first?.stepId === undefined ? {} : { stepId: first.stepId }),
    });
    this.name = 'WorkflowValidationError';
    this.issues = issues;
  }

  /** True when one of the issues has this code. */
  has(code: WorkflowIssueCode): boolean {
    return this.issues.some((i) => i.code === code);
  }
}

/** The planner's first answer and its one repair were both invalid; the plan was not executed. */
export class PlanRejectedError extends WorkflowError {
  /** The problems of the last answer. */
  readonly issues: readonly WorkflowIssue[];
  /** LLM calls made (2). */
  readonly attempts: number;

  constructor(issues: readonly WorkflowIssue[], attempts: number, options: ErrorOptions = {}) {
    super(
      WorkflowErrorCode.PLAN_REJECTED,
      `plan rejected after ${attempts} answers (one repair); not executed: ${summarise(issues)}`,
      options,
    );
    this.name = 'PlanRejectedError';
    this.issues = issues;
    this.attempts = attempts;
  }
}

/** An agent definition is unusable or its name is taken. `agent` names it. */
export class AgentRegistryError extends WorkflowError {
  readonly agent: string;

  constructor(agent: string, message: string) {
    super(WorkflowErrorCode.REGISTRY, message);
    this.name = 'AgentRegistryError';
    this.agent = agent;
  }
}

/** A step failed: its agent threw, timed out, or got or gave data that broke a schema. */
export class StepError extends WorkflowError {
  override readonly stepId: string;

  constructor(code: WorkflowErrorCode, stepId: string, message: string, options: ErrorOptions = {}) {
    super(code, message, { ...options, stepId });
    this.name = 'StepError';
    this.stepId = stepId;
  }
}

/** The agent threw; its error is the `cause`. */
export class StepFailedError extends StepError {
  constructor(stepId: string, agent: string, cause: unknown) {
    super(
      WorkflowErrorCode.STEP_FAILED,
      stepId,
      `step ${stepId} (agent ${agent}) failed: ${describe(cause)}`,
      {
        cause,
      },
    );
    this.name = 'StepFailedError';
  }
}

/** The step did not finish within `timeoutMs`; its signal was aborted. */
export class StepTimeoutError extends StepError {
  readonly timeoutMs: number;

  constructor(stepId: string, timeoutMs: number) {
    super(
      WorkflowErrorCode.STEP_TIMEOUT,
      stepId,
      `step ${stepId} exceeded its time limit of ${timeoutMs} ms; its signal was aborted`,
    );
    this.name = 'StepTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** Data at a step boundary broke a schema. `issues` say where. */
export class StepDataError extends StepError {
  readonly issues: readonly { path: string; message: string }[];

  constructor(
    code: typeof WorkflowErrorCode.STEP_INPUT | typeof WorkflowErrorCode.STEP_OUTPUT,
    stepId: string,
    message: string,
    issues: readonly { path: string; message: string }[],
  ) {
    const where = issues
      .slice(0, 5)
      .map((i) => `${i.path || '(root)'}: ${i.message}`)
      .join('; ');
    super(code, stepId, `${message}${where === '' ? '' : ` — ${where}`}`);
    this.name = 'StepDataError';
    this.issues = issues;
  }
}

/** The run's signal fired, or the run stopped because another step failed. */
export class StepCancelledError extends StepError {
  constructor(stepId: string, reason: string) {
    super(WorkflowErrorCode.CANCELLED, stepId, `step ${stepId} cancelled: ${reason}`);
    this.name = 'StepCancelledError';
  }
}

/** A decision step had no valid branch and no default. */
export class DecisionError extends StepError {
  constructor(stepId: string, message: string) {
    super(WorkflowErrorCode.DECISION, stepId, message);
    this.name = 'DecisionError';
  }
}

/** An agent asked for inference its intelligence level does not allow; no LLM call was made. */
export class InferenceRefusedError extends WorkflowError {
  readonly agent: string;
  readonly level: string;
  readonly capability: string;

  constructor(opts: { agent: string; level: string; capability: string; stepId?: string; reason: string }) {
    super(
      WorkflowErrorCode.INFERENCE_REFUSED,
      `agent ${opts.agent} (${opts.level}) may not ask for ${opts.capability}: ${opts.reason}; no LLM call made`,
      opts.stepId === undefined ? {} : { stepId: opts.stepId },
    );
    this.name = 'InferenceRefusedError';
    this.agent = opts.agent;
    this.level = opts.level;
    this.capability = opts.capability;
  }
}

/** A problem with a run id: unknown, taken, or already executing in this engine. */
export class RunError extends WorkflowError {
  readonly runId: string;

  constructor(
    code:
      | typeof WorkflowErrorCode.RUN_NOT_FOUND
      | typeof WorkflowErrorCode.RUN_EXISTS
      | typeof WorkflowErrorCode.RUN_ACTIVE,
    runId: string,
    message: string,
  ) {
    super(code, message);
    this.name = 'RunError';
    this.runId = runId;
  }
}

function summarise(issues: readonly WorkflowIssue[]): string {
  const shown = issues.slice(0, 8).map((i) => `[${i.code}] ${i.message}`);
  const more = issues.length > 8 ? ` (+${issues.length - 8} more)` : '';
  return `${shown.join('; ')}${more}`;
}

/** A short description of any thrown value. */
export function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
}
