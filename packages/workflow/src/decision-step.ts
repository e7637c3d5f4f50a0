import type { StepHost, StepOutcome } from './agent-step.ts';
import { DecisionError } from './errors.ts';
import { chooseBranch, decisionFallback, type Lookup, validBranches } from './inference/decision.ts';
import { shouldUseLLM } from './inference/gate.ts';
import { modeAllows } from './modes.ts';
import type { Step } from './schema.ts';

/**
 * Runs a decision step: computes the valid branches; takes the only one, or lets the decision hook
 * choose among several (ADAPTIVE/CREATIVE), or the rule (`default` if valid, else the first valid). The
 * output is `{ branch }`; `via` says who chose (`decision:rule|llm|cache`). Never throws.
 */
export async function runDecisionStep(
  host: StepHost,
  step: Step,
  lookup: Lookup,
  context: unknown,
): Promise<StepOutcome> {
  const decide = step.decide;
  if (decide === undefined) throw new Error(`step ${step.id} is not a decision`);
  const valid = validBranches(decide, lookup);
  if (valid.length <= 1 || !modeAllows(host.mode, 'decision')) {
    const branch = decisionFallback(decide, valid);
    if (branch === undefined) {
      return {
        status: 'failed',
        error: new DecisionError(step.id, `decision ${step.id}: no branch is valid and there is no default`),
      };
    }
    return { status: 'succeeded', output: { branch }, via: 'decision:rule' };
  }
  const verdict = shouldUseLLM({
    gateway: host.gateway,
    mode: host.mode,
    hook: 'decision',
    level: undefined,
    task: host.settings.tasks.decision,
    critical: host.settings.critical,
  });
  const choice = await chooseBranch(host.hookEnv('decision'), verdict, {
    stepId: step.id,
    decide,
    valid,
    context,
  });
  host.recordInference({
    stepId: step.id,
    hook: 'decision',
    source: choice.source,
    reason: choice.reason,
    choice: { branch: choice.branch, valid },
  });
  return {
    status: 'succeeded',
    output: { branch: choice.branch },
    via: `decision:${choice.source === 'fallback' ? 'rule' : choice.source}`,
  };
}
