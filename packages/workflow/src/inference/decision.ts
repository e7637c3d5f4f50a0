import { z } from 'zod';
import { jsonEqual, preview } from '../json.ts';
import type { Condition, Decision } from '../schema.ts';
import { consult, type GateVerdict, type HookEnv, hookRequest } from './gate.ts';

/** Reads a reference (`stepId.path`) against the outputs so far; `undefined` for skipped or absent data. */
export type Lookup = (from: string) => unknown;

/** Whether a condition holds. Comparisons of non-numbers with `gt`/`lt`… are false. */
export function evaluateCondition(cond: Condition, lookup: Lookup): boolean {
  const v = lookup(cond.from);
  switch (cond.op) {
    case 'eq':
      return jsonEqual(v, cond.value);
    case 'ne':
      return !jsonEqual(v, cond.value);
    case 'gt':
      return typeof v === 'number' && typeof cond.value === 'number' && v > cond.value;
    case 'gte':
      return typeof v === 'number' && typeof cond.value === 'number' && v >= cond.value;
    case 'lt':
      return typeof v === 'number' && typeof cond.value === 'number' && v < cond.value;
    case 'lte':
      return typeof v === 'number' && typeof cond.value === 'number' && v <= cond.value;
    case 'in':
      return Array.isArray(cond.value) && cond.value.some((c) => jsonEqual(v, c));
    case 'exists':
      return v !== undefined && v !== null;
    default: {
      const never: never = cond.op;
      throw new Error(`unknown condition op ${String(never)}`);
    }
  }
}

/** The names of the branches whose `if` holds (all branches without one), in declared order. */
export function validBranches(decide: Decision, lookup: Lookup): string[] {
  return decide.branches
    .filter((b) => b.if === undefined || evaluateCondition(b.if, lookup))
    .map((b) => b.name);
}

/**
 * The deterministic choice: the `default` when it is valid, else the first valid branch in declared
 * order; with no valid branch, the `default` (or `undefined`: the decision fails).
 */
export function decisionFallback(decide: Decision, valid: readonly string[]): string | undefined {
  if (decide.default !== undefined && (valid.includes(decide.default) || valid.length === 0))
    return decide.default;
  return valid[0];
}

/**
 * A decision point with several valid branches: the model picks one of them (an enum of the valid
 * names, so it cannot pick an invalid one), or {@link decisionFallback} decides.
 */
export async function chooseBranch(
  env: HookEnv,
  verdict: GateVerdict,
  opts: { stepId: string; decide: Decision; valid: readonly string[]; context: unknown },
): Promise<{ branch: string; source: 'llm' | 'cache' | 'fallback'; reason: string | undefined }> {
  const fallback = decisionFallback(opts.decide, opts.valid) as string;
  const [first, ...rest] = opts.valid;
  if (first === undefined || rest.length === 0)
    return { branch: fallback, source: 'fallback', reason: 'single_branch' };
  const schema = z.object({ branch: z.enum([first, ...rest]), reason: z.string().max(500).optional() });
  const described = opts.decide.branches
    .filter((b) => opts.valid.includes(b.name))
    .map((b) => `- ${b.name}: ${b.description || '(no description)'}`);
  const system = [
    'You choose one branch at a decision point of a workflow.',
    'Answer with one JSON object and nothing else: {"branch": "<one of the valid branches>", "reason": "<one sentence>"}.',
  ].join('\n');
  const user = [
    `Decision ${opts.stepId}: ${opts.decide.question}`,
    'Valid branches:',
    ...described,
    `Context: ${preview(opts.context, 3_000)}`,
  ].join('\n');
  const answer = await consult(verdict, env.gateway, hookRequest(env, system, user, schema));
  if (answer.source === 'fallback') return { branch: fallback, source: 'fallback', reason: answer.reason };
  return { branch: answer.answer.branch, source: answer.source, reason: answer.answer.reason };
}
