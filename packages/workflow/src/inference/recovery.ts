import { z } from 'zod';
import { preview } from '../json.ts';
import { consult, type GateVerdict, type HookEnv, hookRequest } from './gate.ts';

/** What recovery may do about a failed step. `give_up` applies the step's declared `onError`. */
export type RecoveryAction =
  | { action: 'retry_later'; delayMs: number }
  | { action: 'alternative'; agent: string }
  | { action: 'cached' }
  | { action: 'give_up' };

/** The situation and the options the engine allows (only allowed options are offered to the model). */
export interface RecoverySituation {
  stepId: string;
  agent: string;
  agentDescription: string;
  /** The failure: its code and message, and the code of its root cause when it has one (e.g. an `LLMError`'s). */
  error: { code: string; message: string; causeCode?: string | undefined };
  /** Whether a re-run of the same agent is still allowed (recovery re-runs are bounded). */
  retryAllowed: boolean;
  /** Shortest sensible wait (e.g. until a 429's cooldown ends), in ms. */
  minDelayMs: number;
  /** Longest wait allowed, in ms. */
  maxDelayMs: number;
  /** Declared alternatives that accept this step's input. */
  alternatives: readonly string[];
  /** A good output of this agent for this very input is remembered (and young enough). */
  cachedAvailable: boolean;
  /** The step's resolved input. */
  input: unknown;
}

/** The chosen action and who chose it. */
export interface RecoveryChoice {
  choice: RecoveryAction;
  source: 'llm' | 'cache' | 'fallback';
  reason: string | undefined;
}

/** Whether the situation offers anything but giving up (if not, no LLM is consulted). */
export function hasRecoveryOptions(s: RecoverySituation): boolean {
  return canRetry(s) || s.alternatives.length > 0 || s.cachedAvailable;
}

/**
 * The deterministic fallback: the remembered output if there is one, else the first declared
 * alternative, else give up (the declared `onError`). It never waits and never re-runs the same agent:
 * retries stay opt-in.
 */
export function recoveryFallback(s: RecoverySituation): RecoveryAction {
  if (s.cachedAvailable) return { action: 'cached' };
  const alt = s.alternatives[0];
  if (alt !== undefined) return { action: 'alternative', agent: alt };
  return { action: 'give_up' };
}

/** The answer schema offered to the model: only the allowed actions, with their bounds. */
export function recoverySchema(s: RecoverySituation): z.ZodType<RecoveryAction & { reason?: string }> {
  const reason = z.string().max(500).optional();
  const options: z.ZodObject[] = [z.object({ action: z.literal('give_up'), reason })];
  if (canRetry(s)) {
    options.push(
      z.object({
        action: z.literal('retry_later'),
        delayMs: z.number().int().min(s.minDelayMs).max(s.maxDelayMs),
        reason,
      }),
    );
  }
  const [first, ...rest] = s.alternatives;
  if (first !== undefined) {
    options.push(z.object({ action: z.literal('alternative'), agent: z.enum([first, ...rest]), reason }));
  }
  if (s.cachedAvailable) options.push(z.object({ action: z.literal('cached'), reason }));
  return z.discriminatedUnion('action', options as [z.ZodObject, ...z.ZodObject[]]) as unknown as z.ZodType<
    RecoveryAction & { reason?: string }
  >;
}

/**
 * Error recovery: asks the model to pick one allowed option (schema-validated), or takes
 * {@link recoveryFallback} when the gate says no, the call fails, or nothing but giving up is possible.
 */
export async function chooseRecovery(
  env: HookEnv,
  verdict: GateVerdict,
  s: RecoverySituation,
): Promise<RecoveryChoice> {
  if (!hasRecoveryOptions(s))
    return { choice: { action: 'give_up' }, source: 'fallback', reason: 'no_options' };
  const offered: string[] = ["- give_up: accept the failure; the step's declared error policy applies"];
  if (canRetry(s)) {
    offered.push(
      `- retry_later: run the same agent again after delayMs (${s.minDelayMs}..${s.maxDelayMs} ms)`,
    );
  }
  if (s.alternatives.length > 0) {
    offered.push(`- alternative: run one of these agents instead: ${s.alternatives.join(', ')}`);
  }
  if (s.cachedAvailable)
    offered.push('- cached: reuse the last good output of this agent for this same input');
  const system = [
    'You decide how a workflow engine recovers from one failed step.',
    'Choose exactly one of the allowed actions. Prefer the cheapest action likely to succeed.',
    'Answer with one JSON object and nothing else: {"action": ..., ...fields, "reason": "<one sentence>"}.',
  ].join('\n');
  const user = [
    `Step: ${s.stepId} (agent ${s.agent}: ${s.agentDescription})`,
    `Failure: [${s.error.code}] ${s.error.message}`,
    ...(s.error.causeCode === undefined ? [] : [`Cause: [${s.error.causeCode}]`]),
    `Input: ${preview(s.input, 1_000)}`,
    'Allowed actions:',
    ...offered,
  ].join('\n');
  const answer = await consult(verdict, env.gateway, hookRequest(env, system, user, recoverySchema(s)));
  if (answer.source === 'fallback')
    return { choice: recoveryFallback(s), source: 'fallback', reason: answer.reason };
  const { reason, ...choice } = answer.answer;
  return { choice: choice as RecoveryAction, source: answer.source, reason };
}

function canRetry(s: RecoverySituation): boolean {
  return s.retryAllowed && s.minDelayMs <= s.maxDelayMs;
}
