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
 * One reasoning turn's answer: either a tool call or the decision. The decision is a FORECAST in
 * [−1, 1], not a size: it is deliberately unbounded here, because the tilt limit (`sun.maxTilt` around
 * the planets' forecast), the sizing, the risk multiplier and the risk clamp — not the schema — are what
 * hold an over-eager answer to the limits.
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
    forecast: z.number(),
    confidence: z.number().min(0).max(1),
    rationale: z.string().max(2000),
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
  /** How far the sun may move the planets' forecast. */
  maxTilt: number;
  /** The current position as a fraction of equity. */
  current: number;
  risk: SolarSystemConfig['risk'];
  modeReason: string;
  /** Summaries of recalled episodes (empty without memory). */
  recalled: readonly string[];
  /** The symbol's cached notes: market summary and fragility card (see `readThoughts`). */
  notes?: readonly string[] | undefined;
  /** The rest of the portfolio as the orchestrator sees it (see `PortfolioBook.brief`). */
  portfolio?: readonly string[] | undefined;
  /** Memory's learned patterns as text, on demand (null without memory). */
  patterns: (() => string) | null;
  critical: boolean;
  signal?: AbortSignal | undefined;
  maxTokens: number;
  /** A prompt variant under test: its text is added to the system prompt, its id to the result. */
  variant?: { variant: string; text: string } | undefined;
}

/** The sun's forecast and how it got there (the caller sizes it like any forecast). */
export interface ReasoningResult {
  /** The forecast after the tilt limit, in [−1, 1]. */
  forecast: number;
  /** What the model answered, before the limit. */
  answered: number;
  confidence: number;
  rationale: string;
  source: 'sun' | 'backup-sun';
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
      const base = input.consensus.reached ? input.consensus.signal : 0;
      const answered = Number.isFinite(answer.forecast) ? answer.forecast : base;
      const lo = Math.max(-1, base - input.maxTilt);
      const hi = Math.min(1, base + input.maxTilt);
      return {
        forecast: Math.max(lo, Math.min(hi, answered)),
        answered,
        confidence: answer.confidence,
        rationale: answer.rationale,
        source: input.stage,
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

function systemPrompt(input: ReasoningInput): string {
  const r = input.risk;
  return [
    'You are the sun of Orrery: the orchestrator of a trading system, woken only when a decision matters.',
    'Each of your turns is one paid LLM call; think in few turns.',
    `Tools (free, no LLM): ask_planet {"planet": name} returns that planet's full report; recall_memory returns similar past situations and what came of them; read_patterns returns what past outcomes teach.`,
    'Answer each turn with ONE JSON object and nothing else, either',
    '{"type": "tool", "tool": "ask_planet" | "recall_memory" | "read_patterns", "planet"?: name}',
    'or {"type": "decision", "forecast": -1..1 (your view of the direction: 1 strong buy, 0 no view, -1 strong sell),',
    '"confidence": 0..1, "rationale": short text}. You give a forecast, not a size: the position is sized from it',
    `by volatility targeting and the risk planet. Limits (enforced after you answer): your forecast is kept within`,
    `${fmt(input.maxTilt)} of the planets' forecast; |position| <= ${fmt(r.maxPositionFraction)} of equity;`,
    `${r.allowShort ? 'shorts allowed' : 'long only (a negative forecast means flat)'}.`,
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
    ...(input.portfolio ?? []),
    `Planets:\n${planets.join('\n')}`,
    `Planets' forecast: ${c.reached ? `${fmt(c.signal)} confidence ${fmt(c.confidence)} dissent ${fmt(c.dissent)}` : 'no quorum (0)'}; sized, it would ${input.consensusDecision.action} to ${fmt(input.consensusDecision.targetFraction)} of equity.`,
    input.recalled.length > 0 ? `Similar past episodes:\n${input.recalled.join('\n')}` : '',
    ...(input.notes ?? []),
  ]
    .filter((line) => line !== '')
    .join('\n');
}
