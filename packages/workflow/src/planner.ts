import type { LlmCaller } from '@orrery/core';
import { type AgentRegistry, jsonSchema } from './registry.ts';
import { askWithRepair } from './repair.ts';
import { type Workflow, workflowSchema } from './schema.ts';
import { checkWorkflow } from './validate.ts';

/** Options of {@link planWorkflow}. */
export interface PlanOptions {
  /** The gateway task (routing rule, ledger); default `plan`. */
  task?: string;
  /** May use the budget's critical reserve (default false). */
  critical?: boolean;
  /** Cache identical plan requests for this long, in ms (default: no caching). */
  cacheTtlMs?: number;
  maxTokens?: number;
  /** Extra instructions appended to the system prompt (house rules, limits). */
  guidance?: string;
  signal?: AbortSignal;
}

/** A validated plan. */
export interface PlanResult {
  workflow: Workflow;
  /** LLM answers used: 1, or 2 when the first was repaired. */
  attempts: 1 | 2;
  repaired: boolean;
}

/**
 * Turns a request into a validated workflow with one LLM call (task `plan`, answer schema
 * `workflowSchema`; the prompt lists the registry's agents with their input and output JSON Schemas).
 * An answer that breaks the schema or fails `validateWorkflow` is repaired once (a second call that
 * shows the problems); a second invalid answer throws `PlanRejectedError`. An invalid plan is never
 * returned, so it is never executed. The gateway's `LLMError`s (budget, cooldown, 429…) propagate.
 *
 * @example
 * const { workflow } = await planWorkflow(gateway, 'Report the mean BTC close', registry);
 * const result = await engine.run(workflow, { runId: 'r1' });
 */
export async function planWorkflow(
  gateway: LlmCaller,
  request: string,
  registry: AgentRegistry,
  options: PlanOptions = {},
): Promise<PlanResult> {
  const answer = await askWithRepair(
    gateway,
    {
      task: options.task ?? 'plan',
      messages: [
        { role: 'system', content: planningPrompt(registry, options.guidance) },
        { role: 'user', content: request },
      ],
      schema: workflowSchema,
      agent: 'workflow:planner',
      critical: options.critical === true,
      maxTokens: options.maxTokens,
      signal: options.signal,
      cache: options.cacheTtlMs === undefined ? undefined : { ttlMs: options.cacheTtlMs },
    },
    (wf) => checkWorkflow(wf, registry),
  );
  return { workflow: answer.value, attempts: answer.attempts, repaired: answer.repaired };
}

/** The planner's system prompt: the workflow format, the rules and every agent of the registry. */
export function planningPrompt(registry: AgentRegistry, guidance?: string): string {
  const agents = registry
    .describe()
    .map((a) =>
      [
        `- ${a.name} (${a.intelligence}): ${a.description}`,
        `  inputs: ${JSON.stringify(a.inputs)}`,
        `  output: ${JSON.stringify(a.output)}`,
      ].join('\n'),
    );
  return [
    'You plan workflows for a workflow engine. Answer with one JSON object matching this JSON Schema and nothing else:',
    JSON.stringify(jsonSchema(workflowSchema, 'input')),
    'Rules:',
    '- Each step calls one agent listed below ("agent") with exactly the inputs it declares, or is a decision ("decide").',
    '- An input is {"value": <JSON>} or {"from": "<stepId>.<field path>"} reading an earlier step\'s output.',
    '- References and "dependsOn" order the steps; independent steps run in parallel. No cycles.',
    '- Use only the agents below. Step ids: letters, digits, _ or -, no dots.',
    '- Leave "retries" at 0 unless a step is known to be flaky. "onError" is fail, skip, or fallback with a value matching the agent\'s output.',
    'Agents:',
    ...agents,
    ...(guidance === undefined ? [] : ['Also:', guidance]),
  ].join('\n');
}
