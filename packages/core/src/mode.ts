/**
 * How much thinking a cycle may spend, chosen before any LLM call.
 * - `MONITOR_ONLY`: moons and risk rules only; no LLM (the target for 80–90 % of cycles).
 * - `LIGHT_REASONING`: planets, at most one LLM call each, then consensus.
 * - `FULL_AGENT`: memory recall, planets, the sun's reasoning, a critic when the stakes justify it.
 */
export const ExecutionMode = {
  MONITOR_ONLY: 'MONITOR_ONLY',
  LIGHT_REASONING: 'LIGHT_REASONING',
  FULL_AGENT: 'FULL_AGENT',
} as const;

/** One of {@link ExecutionMode}'s values. */
export type ExecutionMode = (typeof ExecutionMode)[keyof typeof ExecutionMode];

/** Every mode, cheapest first. */
export const EXECUTION_MODES: readonly ExecutionMode[] = [
  ExecutionMode.MONITOR_ONLY,
  ExecutionMode.LIGHT_REASONING,
  ExecutionMode.FULL_AGENT,
];
