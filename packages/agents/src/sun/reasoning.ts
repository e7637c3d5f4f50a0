import { type ChatMessage, ExecutionMode, LLMError } from '@orrery/core';
import { z } from 'zod';
import type { CallAllowance } from '../call-allowance.ts';
import type { SolarSystemConfig } from '../config.ts';
import type { ConsensusResult } from '../consensus.ts';
import type { Decision } from '../decision.ts';
import { ReasoningFailedError } from '../errors.ts';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import type { PlanetReport } from '../planets/planet.ts';
import { fmt } from '../planets/planet.ts';
import { roundDeep } from '../planets/prompt.ts';

/** The tools the sun may call between reasoning turns. None of them calls an LLM. */
export const SUN_TOOLS = ['ask_planet', 'recall_memory', 'read_patterns'] as const;

/**
 * One reasoning turn's answer: either a tool call or the decision. `targetFraction` is deliberately
 * unbounded here: the risk clamp, not the schema, is what holds an over-eager answer to the limits.
 */
export const sunTurnSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('tool'),
    tool: z.enum(SUN_TOOLS),
    planet: z.string().max(64).optional(),
    query: z.string().max(300).optional(),
  }),
  z.object({
    type: z.literal('decision'),
    action: z.enum(['buy', 'sell', 'hold', 'flatten']),
    targetFraction: z.number(),
    confidence: z.number().min(0).max(1),
    rationale: z.string().max(2000),
    stopPrice: z.number().positive().optional(),
  }),
]);

/** A validated reasoning turn. */
export type SunTurn = z.output<typeof sunTurnSchema>;

/** What the sun reasons over. */
export interface ReasoningInput {
  stage: 'sun' | 'backup-sun';
  task: string;
  /** The stage's permit: one call per turn, `maxTurns` in all. */
  allowance: CallAllowance;
  snapshot: MoonSnapshot;
  planets: readonly PlanetReport[];
  consensus: ConsensusResult;
  consensusDecision: Decision;
  /** The current position as a fraction of equity. */
  current: number;
  risk: SolarSystemConfig['risk'];
  modeReason: string;
  /** Summaries of recalled episodes (empty without memory). */
  recalled: readonly string[];
  /** Memory's learned patterns as text, on demand (null without memory). */
  patterns: (() => string) | null;
  critical: boolean;
  signal?: AbortSignal | undefined;
  maxTokens: number;
  /** A prompt variant under test: its text is added to the system prompt, its id to the result. */
  variant?: { variant: string; text: string } | undefined;
}

/** The sun's decision and how it got there. */
export interface ReasoningResult {
  decision: Decision;
  turns: number;
  tools: string[];
  /** The prompt variant the stage reasoned with, if one was under test. */
  promptVariant?: string;
}

/**
 * The sun's bounded tool loop: each turn is one LLM call (through the permit, so at most `limit`
 * turns); a tool answer is appended and the loop goes on; a decision ends it. Provider failures are not
 * retried: they end the stage with {@link ReasoningFailedError} (the caller falls back). So does
 * reaching the turn cap without a decision.
 */
export async function runSunReasoning(input: ReasoningInput): Promise<ReasoningResult> {
  const messages: ChatMessage[] = [
    { role: 'system', content: systemPrompt(input) },
    { role: 'user', content: situation(input) },
  ];
  const tools: string[] = [];
  for (let turn = 1; turn <= input.allowance.limit; turn++) {
    let answer: SunTurn;
    try {
      const res = await input.allowance.execute({
        task: input.task,
        messages,
        schema: sunTurnSchema,
        mode: ExecutionMode.FULL_AGENT,
        critical: input.critical,
        maxTokens: input.maxTokens,
        temperature: 0,
        ...(input.signal === undefined ? {} : { signal: input.signal }),
      });
      if (!res.success || res.parsed === undefined) {
        throw new ReasoningFailedError(`${input.stage}: ${res.error?.message ?? 'no parsed answer'}`, {
          stage: input.stage,
        });
      }
      answer = res.parsed;
    } catch (err) {
      if (err instanceof ReasoningFailedError) throw err;
      const what = err instanceof LLMError ? `${err.code}: ${err.message}` : String(err);
      throw new ReasoningFailedError(`${input.stage} could not reason (turn ${turn}): ${what}`, {
        stage: input.stage,
        cause: err,
      });
    }
    if (answer.type === 'decision') {
      return {
        decision: toDecision(answer, input),
        turns: turn,
        tools,
        ...(input.variant === undefined ? {} : { promptVariant: input.variant.variant }),
      };
    }
    const name = answer.tool === 'ask_planet' ? `ask_planet:${answer.planet ?? '?'}` : answer.tool;
    tools.push(name);
    messages.push({ role: 'assistant', content: JSON.stringify(answer) });
    messages.push({ role: 'user', content: `Tool ${name} answered: ${runTool(answer, input)}` });
  }
  throw new ReasoningFailedError(
    `${input.stage} reached its cap of ${input.allowance.limit} reasoning turns without a decision`,
    { stage: input.stage },
  );
}

function runTool(call: Extract<SunTurn, { type: 'tool' }>, input: ReasoningInput): string {
  switch (call.tool) {
    case 'ask_planet': {
      const p = input.planets.find((r) => r.planet === call.planet);
      if (p === undefined)
        return `no planet '${call.planet ?? ''}'; planets: ${input.planets.map((r) => r.planet).join(', ')}`;
      return JSON.stringify(
        roundDeep({
          status: p.status,
          signal: p.signal,
          confidence: p.confidence,
          reasons: p.reasons,
          data: p.data ?? {},
        }),
      );
    }
    case 'recall_memory':
      return input.recalled.length === 0 ? 'no similar past episodes' : input.recalled.join('\n');
    case 'read_patterns':
      return input.patterns === null ? 'no memory configured' : input.patterns();
    default: {
      const never: never = call.tool;
      return `unknown tool ${String(never)}`;
    }
  }
}

function toDecision(a: Extract<SunTurn, { type: 'decision' }>, input: ReasoningInput): Decision {
  const target = a.action === 'hold' ? input.current : a.action === 'flatten' ? 0 : a.targetFraction;
  return {
    symbol: input.snapshot.symbol,
    action: a.action,
    targetFraction: target,
    confidence: a.confidence,
    rationale: a.rationale,
    source: input.stage,
    ...(a.stopPrice === undefined ? {} : { stopPrice: a.stopPrice }),
  };
}

function systemPrompt(input: ReasoningInput): string {
  const r = input.risk;
  return [
    'You are the sun of Orrery: the orchestrator of a trading system, woken only when a decision matters.',
    'Each of your turns is one paid LLM call; think in few turns.',
    `Tools (free, no LLM): ask_planet {"planet": name} returns that planet's full report; recall_memory returns similar past situations and what came of them; read_patterns returns what past outcomes teach.`,
    'Answer each turn with ONE JSON object and nothing else, either',
    '{"type": "tool", "tool": "ask_planet" | "recall_memory" | "read_patterns", "planet"?: name}',
    'or {"type": "decision", "action": "buy" | "sell" | "hold" | "flatten", "targetFraction": signed position',
    'as a fraction of equity after acting, "confidence": 0..1, "rationale": short text, "stopPrice"?: price}.',
    `Hard limits (enforced after you answer): |position| <= ${fmt(r.maxPositionFraction)} of equity,`,
    `loss at the stop <= ${fmt(r.maxLossFraction)} of equity, ${r.allowShort ? 'shorts allowed' : 'long only'}.`,
    ...(input.variant === undefined || input.variant.text === '' ? [] : [`Guidance: ${input.variant.text}`]),
  ].join(' ');
}

function situation(input: ReasoningInput): string {
  const { snapshot: s, consensus: c } = input;
  const planets = input.planets.map((p) =>
    p.status === 'ok'
      ? `${p.planet}: signal ${fmt(p.signal)} confidence ${fmt(p.confidence)} (${p.source}) - ${p.reasons.slice(0, 3).join('; ')}`
      : `${p.planet}: ${p.status}`,
  );
  return [
    `Symbol ${s.symbol}, bar ${new Date(s.bar.time).toISOString()}, close ${fmt(s.bar.close, 6)}.`,
    `Why you were woken: ${input.modeReason}.`,
    s.criticalUpdates.length > 0 ? `Critical: ${s.criticalUpdates.join('; ')}.` : '',
    `Changed since the last decision: ${s.changedFeatures.join(', ') || 'nothing'}.`,
    `Features: ${JSON.stringify(roundDeep(s.features, 4))}`,
    `Current position: ${fmt(input.current)} of equity.`,
    `Planets:\n${planets.join('\n')}`,
    `Consensus: ${c.reached ? `signal ${fmt(c.signal)} confidence ${fmt(c.confidence)} dissent ${fmt(c.dissent)}` : 'no quorum'}; it would ${input.consensusDecision.action} to ${fmt(input.consensusDecision.targetFraction)}.`,
    input.recalled.length > 0 ? `Similar past episodes:\n${input.recalled.join('\n')}` : '',
  ]
    .filter((line) => line !== '')
    .join('\n');
}
