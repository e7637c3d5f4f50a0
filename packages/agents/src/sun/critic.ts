import { ExecutionMode, LLMError } from '@orrery/core';
import { z } from 'zod';
import type { CallAllowance } from '../call-allowance.ts';
import type { SolarSystemConfig } from '../config.ts';
import type { CriticRecord } from '../cycle-record.ts';
import type { Decision } from '../decision.ts';
import { fmt } from '../planets/planet.ts';

/** The critic's answer. */
export const criticAnswerSchema = z.object({
  verdict: z.enum(['approve', 'reduce', 'reject']),
  /** For `reduce`: the fraction of the proposed trade to keep, 0..1. */
  scale: z.number().min(0).max(1).default(1),
  reasons: z.array(z.string().max(500)).min(1).max(5),
});

/**
 * Why the critic should look at a decision, or an empty list when it should not. It looks only at
 * decisions that trade (not holds), and only when the trade is large (|target − current| ≥
 * `minTradeFraction`), the situation fragile (≥ `minFragility`) or the decision unsure (confidence <
 * `belowConfidence`).
 */
export function criticTrigger(
  decision: Decision,
  current: number,
  fragility: number,
  t: SolarSystemConfig['critic'],
): string[] {
  if (decision.action === 'hold') return [];
  const why: string[] = [];
  const trade = Math.abs(decision.targetFraction - current);
  if (trade >= t.minTradeFraction) why.push(`trade ${fmt(trade)} >= ${fmt(t.minTradeFraction)}`);
  if (fragility >= t.minFragility) why.push(`fragility ${fmt(fragility)} >= ${fmt(t.minFragility)}`);
  if (decision.confidence < t.belowConfidence) {
    why.push(`confidence ${fmt(decision.confidence)} < ${fmt(t.belowConfidence)}`);
  }
  return why;
}

/**
 * One critic call (one LLM call through its permit). `reject` holds the current position, `reduce`
 * keeps `scale` of the trade, `approve` keeps it. If the call fails the decision stands and the
 * failure is recorded: the critic can only make a decision smaller, and the risk clamp still follows.
 */
export async function runCritic(args: {
  decision: Decision;
  current: number;
  trigger: string[];
  context: string;
  allowance: CallAllowance;
  task: string;
  signal?: AbortSignal | undefined;
}): Promise<{ decision: Decision; record: CriticRecord }> {
  const { decision, current, trigger } = args;
  try {
    const res = await args.allowance.execute({
      task: args.task,
      mode: ExecutionMode.FULL_AGENT,
      schema: criticAnswerSchema,
      temperature: 0,
      maxTokens: 300,
      ...(args.signal === undefined ? {} : { signal: args.signal }),
      messages: [
        {
          role: 'system',
          content:
            'You are the critic of a trading system. Challenge the proposed decision: look for what it ignores. ' +
            'Answer with ONE JSON object and nothing else: {"verdict": "approve" | "reduce" | "reject", ' +
            '"scale": fraction of the trade to keep when reducing (0..1), "reasons": [1 to 4 short reasons]}.',
        },
        {
          role: 'user',
          content:
            `Proposed: ${decision.action} to ${fmt(decision.targetFraction)} of equity (now ${fmt(current)}), ` +
            `confidence ${fmt(decision.confidence)}. Rationale: ${decision.rationale}\n` +
            `Why you are asked: ${trigger.join('; ')}.\n${args.context}`,
        },
      ],
    });
    if (!res.success || res.parsed === undefined) {
      return { decision, record: { trigger, error: res.error?.message ?? 'no parsed answer' } };
    }
    const a = res.parsed;
    const record: CriticRecord = { trigger, verdict: a.verdict, scale: a.scale, reasons: [...a.reasons] };
    if (a.verdict === 'approve') return { decision, record };
    const keep = a.verdict === 'reject' ? 0 : a.scale;
    const target = current + (decision.targetFraction - current) * keep;
    return {
      decision: {
        ...decision,
        targetFraction: target,
        rationale: `${decision.rationale} [critic ${a.verdict}${a.verdict === 'reduce' ? ` x${fmt(keep)}` : ''}: ${a.reasons[0]}]`,
      },
      record,
    };
  } catch (err) {
    const error = err instanceof LLMError ? `${err.code}: ${err.message}` : String(err);
    return { decision, record: { trigger, error } };
  }
}
