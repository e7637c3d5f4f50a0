import { LLMError } from '@orrery/core';
import { z } from 'zod';
import { describe, PlanRejectedError, type WorkflowIssue, WorkflowIssueCode } from '../errors.ts';
import { preview } from '../json.ts';
import { planningPrompt } from '../planner.ts';
import type { AgentRegistry } from '../registry.ts';
import { askWithRepair } from '../repair.ts';
import { dependenciesOf, referenceSchema, stepSchema, type Workflow } from '../schema.ts';
import { checkWorkflow } from '../validate.ts';
import type { GateVerdict, HookEnv } from './gate.ts';

/** The model's answer: keep the remaining steps, or replace all of them (started steps are never touched). */
export const adaptationAnswerSchema = z.object({
  action: z.enum(['keep', 'replace']),
  /** With `replace`: the new remaining steps (they may read outputs of steps that succeeded). */
  steps: z.array(stepSchema).max(200).default([]),
  /** With `replace`: new workflow outputs (default: unchanged). */
  outputs: z.record(z.string().min(1), referenceSchema).optional(),
  reason: z.string().max(500).optional(),
});

/** The model's answer. */
export type AdaptationAnswer = z.output<typeof adaptationAnswerSchema>;

/** What changed, and where the run stands. */
export interface AdaptationSituation {
  workflow: Workflow;
  registry: AgentRegistry;
  /** Steps that started (running or finished): kept exactly as they are. */
  frozen: ReadonlySet<string>;
  /** Steps that failed: no step may depend on them. */
  failed: ReadonlySet<string>;
  /** Status of every step (`pending` for those not started). */
  statuses: Readonly<Record<string, string>>;
  /** Outputs of the steps that succeeded. */
  outputs: Readonly<Record<string, unknown>>;
  /** Why a revision is asked for. */
  trigger:
    | { kind: 'failure'; stepId: string; error: { code: string; message: string } }
    | { kind: 'request'; stepId: string; reason: string };
}

/** The outcome: a validated revision, or none (keep the workflow) and why. */
export interface AdaptationOutcome {
  revised: Workflow | undefined;
  source: 'llm' | 'cache' | 'fallback';
  reason: string | undefined;
  attempts: number;
}

/**
 * Merges an answer into the workflow: started steps in their original order, then the new ones. Returns
 * the revision or the issues that make it invalid — everything `validateWorkflow` checks, plus
 * `FROZEN_STEP` for a new step reusing a started step's id or depending on a failed step.
 */
export function reviseWorkflow(
  s: Pick<AdaptationSituation, 'workflow' | 'registry' | 'frozen' | 'failed'>,
  answer: AdaptationAnswer,
): { workflow: Workflow; issues: WorkflowIssue[] } {
  if (answer.action === 'keep') return { workflow: s.workflow, issues: [] };
  const kept = s.workflow.steps.filter((st) => s.frozen.has(st.id));
  const workflow: Workflow = {
    ...s.workflow,
    steps: [...kept, ...answer.steps],
    outputs: answer.outputs ?? s.workflow.outputs,
  };
  const issues: WorkflowIssue[] = [];
  answer.steps.forEach((st, i) => {
    if (s.frozen.has(st.id)) {
      issues.push({
        code: WorkflowIssueCode.FROZEN_STEP,
        stepId: st.id,
        path: `steps.${i}.id`,
        message: `step ${st.id} already started and cannot be replaced; use a new id`,
      });
    }
    for (const dep of dependenciesOf(st)) {
      if (s.failed.has(dep)) {
        issues.push({
          code: WorkflowIssueCode.FROZEN_STEP,
          stepId: st.id,
          path: `steps.${i}`,
          message: `step ${st.id} depends on ${dep}, which failed and has no output`,
        });
      }
    }
  });
  const semantic = checkWorkflow(workflow, s.registry).filter(
    (i) => !(i.code === 'DUPLICATE_STEP' && s.frozen.has(i.stepId ?? '')),
  );
  return { workflow, issues: [...issues, ...semantic] };
}

/**
 * Adaptation: the model may replace the not-yet-started part of the workflow. Its revision is validated
 * like a plan and repaired once; a rejected revision, a refused gate or a failed call all fall back to
 * the deterministic answer: keep the workflow as it is (after a failure, the step's declared `onError`
 * then applies).
 */
export async function adaptWorkflow(
  env: HookEnv,
  verdict: GateVerdict,
  s: AdaptationSituation,
): Promise<AdaptationOutcome> {
  if (verdict.use === 'fallback' || env.gateway === undefined) {
    return {
      revised: undefined,
      source: 'fallback',
      reason: verdict.use === 'fallback' ? verdict.reason : 'no_gateway',
      attempts: 0,
    };
  }
  const trigger =
    s.trigger.kind === 'failure'
      ? `Step ${s.trigger.stepId} failed: [${s.trigger.error.code}] ${s.trigger.error.message}`
      : `Step ${s.trigger.stepId} reports that conditions changed: ${s.trigger.reason}`;
  const system = [
    planningPrompt(s.registry),
    'You are revising a workflow that is already running. Steps that started are fixed; you may replace all steps that have not started.',
    'Answer with one JSON object: {"action": "keep"} to leave the workflow as it is, or {"action": "replace", "steps": [<new remaining steps>], "outputs": {<optional new outputs>}, "reason": "<one sentence>"}.',
    'New steps may read outputs of succeeded steps, never of failed ones, and must not reuse ids of started steps.',
  ].join('\n');
  const user = [
    trigger,
    `Current workflow: ${preview(s.workflow, 6_000)}`,
    `Step status: ${preview(s.statuses, 2_000)}`,
    `Outputs so far: ${preview(s.outputs, 3_000)}`,
  ].join('\n');
  try {
    const answer = await askWithRepair(
      env.gateway,
      {
        task: env.task,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: user },
        ],
        schema: adaptationAnswerSchema,
        critical: env.critical,
        agent: 'workflow:engine',
        cache: { ttlMs: env.cacheTtlMs },
        signal: env.signal,
      },
      (a) => reviseWorkflow(s, a).issues,
    );
    const source = answer.cached ? 'cache' : 'llm';
    if (answer.value.action === 'keep') {
      return { revised: undefined, source, reason: answer.value.reason ?? 'keep', attempts: answer.attempts };
    }
    return {
      revised: reviseWorkflow(s, answer.value).workflow,
      source,
      reason: answer.value.reason,
      attempts: answer.attempts,
    };
  } catch (err) {
    if (err instanceof PlanRejectedError) {
      return { revised: undefined, source: 'fallback', reason: 'revision_rejected', attempts: err.attempts };
    }
    if (verdict.use === 'cache')
      return { revised: undefined, source: 'fallback', reason: verdict.reason, attempts: 0 };
    const reason = err instanceof LLMError ? err.code : `error: ${describe(err)}`;
    return { revised: undefined, source: 'fallback', reason, attempts: 1 };
  }
}
