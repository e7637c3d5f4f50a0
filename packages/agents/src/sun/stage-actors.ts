import type { JsonRecord } from '@orrery/bus';
import { ExecutionMode } from '@orrery/core';
import { EpisodeExistsError } from '@orrery/memory';
import { fromPromise } from 'xstate';
import type { CallAllowance } from '../call-allowance.ts';
import type { CycleRecord } from '../cycle-record.ts';
import type { Decision } from '../decision.ts';
import { ReasoningFailedError } from '../errors.ts';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import type { SunContext } from './context.ts';
import { criticTrigger, runCritic } from './critic.ts';
import type { CycleWork } from './cycle-work.ts';
import { describeRecall, regimeOf, situationOf } from './memory.ts';
import { type ReasoningResult, runSunReasoning } from './reasoning.ts';
import { errorText } from './stages.ts';
import { readThoughts, THOUGHT_AGENTS, type ThoughtKind } from './thoughts.ts';

type ReasonInput = { stage: 'sun' | 'backup-sun'; context: SunContext };

/** Memory recall (FULL_AGENT): similar past episodes of the symbol, one line each. */
export const recallActor = fromPromise<string[], { context: SunContext }>(async ({ input: { context } }) => {
  const { memory, config, symbol } = context.deps;
  const s = (context.work as CycleWork).snapshot as MoonSnapshot;
  if (memory === null || config.sun.recallK === 0) return [];
  return describeRecall(await memory.recall(situationOf(s), config.sun.recallK, { symbol }));
});

/** One reasoning stage (the sun or its backup); refuses without a call when its task cannot be served. */
export const reasonActor = fromPromise<ReasoningResult, ReasonInput & { allowance: CallAllowance | null }>(
  async ({ input, signal }) => {
    const { context, stage, allowance } = input;
    const { config, gateway, memory, symbol } = context.deps;
    const task = stage === 'sun' ? config.sun.task : config.sun.backupTask;
    const w = context.work as CycleWork;
    const s = w.snapshot as MoonSnapshot;
    if (gateway === null || allowance === null) {
      throw new ReasoningFailedError(`${stage}: no gateway`, { stage });
    }
    const critical = s.criticalUpdates.length > 0;
    if (!gateway.canServe(task, { critical })) {
      throw new ReasoningFailedError(
        `${stage}: task '${task}' cannot be served now (cooling down or budget); no call made`,
        {
          stage,
        },
      );
    }
    // The cached market summary and fragility card (regenerated only on material change or TTL).
    const thoughts = context.deps.thoughts;
    const notes =
      thoughts == null
        ? null
        : await readThoughts({
            thoughts,
            permits: notePermits(w.allowances),
            snapshot: s,
            news: w.input.news,
            signal,
          });
    return runSunReasoning({
      stage,
      notes: notes?.lines ?? [],
      portfolio: context.deps.book?.brief(symbol, w.input.portfolio) ?? [],
      task,
      allowance,
      snapshot: s,
      planets: Object.values(w.reports).sort((a, b) => a.planet.localeCompare(b.planet)),
      consensus: w.pre!,
      consensusDecision: w.consensusDecision!,
      maxTilt: config.sun.maxTilt,
      current: w.pos!.current,
      risk: config.risk,
      modeReason: w.mode!.reason,
      recalled: w.recalled ?? [],
      patterns: memory === null ? null : () => memory.patterns({ symbol }).text,
      critical,
      signal,
      maxTokens: config.sun.maxTokens,
      variant: context.deps.tuning?.promptVariant?.('sun.system', `${symbol}@${s.bar.time}`),
    });
  },
);

/** The unused note permits handed to this reasoning stage (see `withPermit`). */
function notePermits(allowances: readonly CallAllowance[]): Partial<Record<ThoughtKind, CallAllowance>> {
  const out: Partial<Record<ThoughtKind, CallAllowance>> = {};
  for (const kind of Object.keys(THOUGHT_AGENTS) as ThoughtKind[]) {
    const permit = allowances.filter((a) => a.agent === THOUGHT_AGENTS[kind] && a.used === 0).at(-1);
    if (permit !== undefined) out[kind] = permit;
  }
  return out;
}

/** The critic, on a decision that passed its trigger. */
export const criticActor = fromPromise<
  Awaited<ReturnType<typeof runCritic>>,
  { context: SunContext; allowance: CallAllowance }
>(async ({ input: { context, allowance }, signal }) => {
  const w = context.work as CycleWork;
  const trigger = criticTrigger(w.decision!, w.pos!.current, w.fragility, context.deps.config.critic);
  const s = w.snapshot!;
  return runCritic({
    decision: w.decision!,
    current: w.pos!.current,
    trigger,
    allowance,
    task: context.deps.config.sun.criticTask,
    signal,
    context:
      `Symbol ${s.symbol} close ${s.bar.close}; regime ${regimeOf(s)}; fragility ${w.fragility.toFixed(2)}; ` +
      `critical: ${s.criticalUpdates.join('; ') || 'none'}.`,
  });
});

/**
 * Broadcasts the cycle's decision (unless a plain monitor hold), synchronously: a decree costs one
 * message and no wait. Never throws (a failure is logged).
 */
export function broadcastDecision(context: SunContext, w = context.work as CycleWork): void {
  const { bus, symbol, log } = context.deps;
  const r = w.record as CycleRecord;
  if (bus.closed || (r.decision.source === 'monitor' && r.decision.action === 'hold')) return;
  try {
    bus.broadcast({ decision: decisionJson(r.decision), symbol, reason: r.modeReason.slice(0, 2000) });
    w.log.add('broadcast.decree', 'sun');
  } catch (err) {
    log(`bus broadcast failed for ${symbol}: ${errorText(err)}`);
  }
}

/** Remembers a reasoned cycle in episodic memory. Never throws. */
export const publishActor = fromPromise<void, { context: SunContext }>(async ({ input: { context } }) => {
  const { memory, symbol, log } = context.deps;
  const w = context.work as CycleWork;
  const r = w.record as CycleRecord;
  const reasoned = r.mode !== ExecutionMode.MONITOR_ONLY;
  if (memory !== null && reasoned) {
    const s = w.snapshot as MoonSnapshot;
    try {
      await memory.record({
        id: `${symbol}@${s.bar.time}`,
        time: s.bar.time,
        symbol,
        situation: situationOf(s),
        regime: regimeOf(s),
        mode: r.mode,
        decision: r.decision.action,
        confidence: Math.max(0, Math.min(1, r.decision.confidence)),
        rationale: r.decision.rationale.slice(0, 8000),
        horizonMs: context.deps.config.memory.horizonMs,
      });
    } catch (err) {
      // a replayed bar was remembered already: nothing to add
      if (!(err instanceof EpisodeExistsError)) log(`memory record failed for ${symbol}: ${errorText(err)}`);
    }
  }
});

/** A decision as the JSON record a `broadcast.decree` carries. */
function decisionJson(d: Decision): JsonRecord {
  const out: JsonRecord = {
    symbol: d.symbol,
    action: d.action,
    targetFraction: d.targetFraction,
    confidence: d.confidence,
    rationale: d.rationale,
    source: d.source,
  };
  if (d.stopPrice !== undefined) out.stopPrice = d.stopPrice;
  if (d.forecast !== undefined) out.forecast = d.forecast;
  if (d.riskMultiplier !== undefined) out.riskMultiplier = d.riskMultiplier;
  if (d.sizedWeight !== undefined) out.sizedWeight = d.sizedWeight;
  if (d.execution !== undefined) out.execution = { ...d.execution };
  return out;
}
