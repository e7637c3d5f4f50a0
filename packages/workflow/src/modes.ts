/**
 * How much an LLM may intervene while a workflow runs. The engine itself never needs one.
 *
 * | hook                                   | STRICT | ADAPTIVE | CREATIVE |
 * |----------------------------------------|--------|----------|----------|
 * | recovery (a step failed)               | —      | LLM      | LLM      |
 * | mapping (output broke its schema)      | —      | LLM      | LLM      |
 * | decision (several valid branches)      | —      | LLM      | LLM      |
 * | adaptation (revise the remaining steps) | —      | —        | LLM      |
 *
 * "—" means the hook's deterministic fallback is used (STRICT: a failure is handled only by the step's
 * declared `retries`/`onError`; a decision takes its `default`, else the first valid branch; an invalid
 * output fails the step). Every LLM use is further gated by the agent's intelligence level and by
 * `shouldUseLLM` (budget, cooldown, cache).
 */
export const WorkflowMode = {
  /** Fail on the unexpected: declared policies only, no LLM. */
  STRICT: 'STRICT',
  /** An LLM is consulted for error recovery, ambiguous data and decisions. */
  ADAPTIVE: 'ADAPTIVE',
  /** As ADAPTIVE, and an LLM may revise the not-yet-started part of the workflow. */
  CREATIVE: 'CREATIVE',
} as const;

/** One of {@link WorkflowMode}'s values. */
export type WorkflowMode = (typeof WorkflowMode)[keyof typeof WorkflowMode];

/** The same modes under the name the issue uses; `ExecutionStrategy.STRICT === WorkflowMode.STRICT`. */
export const ExecutionStrategy = WorkflowMode;
/** One of {@link ExecutionStrategy}'s values. */
export type ExecutionStrategy = WorkflowMode;

/** The four points where the engine may consult an LLM. */
export type InferenceHook = 'recovery' | 'mapping' | 'decision' | 'adaptation';

const MODE_HOOKS: Record<WorkflowMode, ReadonlySet<InferenceHook>> = {
  STRICT: new Set(),
  ADAPTIVE: new Set(['recovery', 'mapping', 'decision']),
  CREATIVE: new Set(['recovery', 'mapping', 'decision', 'adaptation']),
};

/** Whether `mode` lets the engine consult an LLM at `hook` (the table on {@link WorkflowMode}). */
export function modeAllows(mode: WorkflowMode, hook: InferenceHook): boolean {
  return MODE_HOOKS[mode].has(hook);
}
