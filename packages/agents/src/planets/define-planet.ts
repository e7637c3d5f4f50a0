import { type ChatMessage, ExecutionMode, LLMCallLimitError, LLMError, LLMErrorCode } from '@orrery/core';
import type { z } from 'zod';
import { type CallAllowance, createCallAllowance } from '../call-allowance.ts';
import type { LLMCaller } from '../llm-caller.ts';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import { type PlanetAnswer, planetAnswerSchema } from './answer.ts';
import { type AnswerCache, type CacheInputs, type CacheVerdict, promptVersionOf } from './answer-cache.ts';
import {
  type AnalyzeOptions,
  clamp,
  type Planet,
  type PlanetAssessment,
  type PlanetInput,
  type PlanetLlmOutcome,
  type PlanetReport,
  type PlanetRole,
} from './planet.ts';

/** The one LLM request a planet makes: messages, the answer schema, and how to read the answer. */
export interface PlanetPrompt<A = PlanetAnswer> {
  messages: ChatMessage[];
  /** Defaults to `planetAnswerSchema`. */
  schema?: z.ZodType<A>;
  /** Overrides the planet's task for this request (e.g. `summarise`). */
  task?: string;
  /** Maps the validated answer to the planet's assessment (default: signal/confidence/reasons as given). */
  read?: (answer: A, base: PlanetAssessment) => PlanetAssessment;
}

/** What {@link definePlanet} needs. */
export interface PlanetDefinition {
  name: string;
  weight: number;
  /** Its one job (default `forecast`). */
  role?: PlanetRole;
  moons: readonly string[];
  /** The gateway task of the planet's call (e.g. `planet_analysis`). */
  task: string;
  /** Answer token cap of the call. */
  maxTokens?: number;
  assess(input: PlanetInput): PlanetAssessment;
  /** Builds the one LLM request, or null when there is nothing worth asking (then no call is made). */
  prompt?(input: PlanetInput, base: PlanetAssessment): PlanetPrompt<unknown> | null;
  /** The planet's own gateway, used when `analyze` gets no allowance (standalone use). */
  gateway?: LLMCaller | null | undefined;
  /**
   * What its LLM answer depends on, for the answer cache: material features (see `extractFeatures`),
   * whether the news it is given, and any figures of its own (`extra`, each needing a threshold in the
   * cache). Default: the features of its moons ({@link featuresOfMoons}), no news.
   */
  reads?: PlanetReads | undefined;
  /** Reuses the planet's answers while what it reads has not moved (absent or null: every call is made). */
  cache?: AnswerCache | null | undefined;
}

/** What a planet's answer depends on (see {@link PlanetDefinition.reads}). */
export interface PlanetReads {
  features: readonly string[];
  /** The news items it is shown (compared exactly): true, all of them; a function, the part it shows. */
  news?: boolean | ((news: readonly string[]) => readonly string[]) | undefined;
  extra?: ((input: PlanetInput) => Record<string, number>) | undefined;
}

const MOON_FEATURES: Readonly<Record<string, readonly string[]>> = {
  rsi: ['rsi'],
  macd: ['macdHist'],
  bollinger: ['percentB'],
  atr: ['atrPct'],
  ma: ['maSpread'],
  volatility: ['volatility'],
  drawdown: ['drawdown'],
  var: ['var'],
  regime: ['trend', 'volLevel'],
  trend: ['price'],
};

/** The material features (`extractFeatures` names) computed from `moons`' readings. */
export function featuresOfMoons(moons: readonly string[]): string[] {
  return [...new Set(moons.flatMap((m) => MOON_FEATURES[m] ?? []))];
}

/**
 * Builds a {@link Planet} from a deterministic `assess` and an optional `prompt`. `analyze` runs
 * `assess`, then (outside `MONITOR_ONLY`, with a permit or a gateway) makes the one call; any failure
 * of that call (refused, provider error, invalid answer) is recorded and the deterministic analysis
 * stands. Only a spent permit (`LLMCallLimitError`) and an abort propagate.
 */
export function definePlanet(def: PlanetDefinition): Planet {
  if (!(def.weight >= 0)) throw new RangeError(`planet '${def.name}': weight must be >= 0`);
  const role = def.role ?? 'forecast';
  const report = (
    base: PlanetAssessment,
    source: PlanetReport['source'],
    llm: PlanetLlmOutcome,
  ): PlanetReport => ({
    planet: def.name,
    status: 'ok',
    source,
    weight: def.weight,
    role,
    // Only forecast planets have a direction; the others' signal is 0 whatever they (or an LLM) say.
    signal: role === 'forecast' ? clamp(base.signal) : 0,
    confidence: clamp(base.confidence, 0, 1),
    reasons: base.reasons,
    ...(base.data === undefined ? {} : { data: base.data }),
    llm,
  });

  return {
    name: def.name,
    weight: def.weight,
    role,
    moons: def.moons,
    assess: (input) => def.assess(input),
    async analyze(snapshot: MoonSnapshot, opts: AnalyzeOptions = {}): Promise<PlanetReport> {
      const input: PlanetInput = { snapshot, news: opts.news, portfolio: opts.portfolio };
      const base = def.assess(input);
      const gateway = def.gateway ?? null;
      const mode =
        opts.mode ??
        (opts.allowance !== undefined || gateway !== null
          ? ExecutionMode.LIGHT_REASONING
          : ExecutionMode.MONITOR_ONLY);
      if (mode === ExecutionMode.MONITOR_ONLY || def.prompt === undefined) {
        return report(base, 'deterministic', { outcome: 'skipped', detail: 'deterministic mode' });
      }
      const allowance: CallAllowance | undefined =
        opts.allowance ??
        (gateway === null ? undefined : createCallAllowance(gateway, `planet:${def.name}`, 1));
      if (allowance === undefined) {
        return report(base, 'deterministic', { outcome: 'skipped', detail: 'no gateway' });
      }
      const prompt = def.prompt(input, base);
      if (prompt === null)
        return report(base, 'deterministic', { outcome: 'skipped', detail: 'nothing to ask' });
      const task = prompt.task ?? def.task;
      // A batched permit looks the answer up on its own and batches it only on a miss (see BatchWindow).
      const cache = def.cache?.settings.enabled === true ? def.cache : null;
      const cacheInputs = cache === null ? null : inputsFor(def, input, prompt, task);
      const verdict: CacheVerdict | null =
        cache === null || cacheInputs === null ? null : cache.check(cacheInputs);
      const settle = (answered: boolean, cached: boolean, costUsd: number): void => {
        if (cache !== null && cacheInputs !== null && verdict !== null)
          cache.settle(cacheInputs, verdict, { answered, cached, costUsd });
      };
      // On a failed call: why it was a call (a predicted hit the gateway could not serve is `evicted`).
      const cacheNote: Pick<PlanetLlmOutcome, 'cache'> = verdict === null ? {} : { cache: missOf(verdict) };
      try {
        const res = await allowance.execute({
          task,
          messages: prompt.messages,
          schema: prompt.schema ?? planetAnswerSchema,
          mode,
          maxTokens: def.maxTokens ?? 400,
          temperature: 0,
          ...(verdict === null || cache === null
            ? {}
            : { cache: { ttlMs: cache.settings.ttlMs, key: verdict.key } }),
          ...(opts.signal === undefined ? {} : { signal: opts.signal }),
        });
        const where = { provider: res.provider, model: res.model };
        if (!res.success || res.parsed === undefined) {
          settle(false, false, res.costUsd);
          return report(base, 'deterministic', {
            outcome: res.error?.code === LLMErrorCode.RESPONSE_FORMAT ? 'invalid' : 'failed',
            detail: res.error?.message ?? 'no parsed answer',
            ...(res.error === undefined ? {} : { code: res.error.code }),
            ...where,
            ...cacheNote,
          });
        }
        settle(true, res.cached, res.costUsd);
        const read = prompt.read ?? readPlanetAnswer;
        return report(read(res.parsed, base), 'llm', {
          outcome: 'answered',
          ...where,
          ...(verdict === null ? {} : { cache: verdict.hit && res.cached ? 'hit' : missOf(verdict) }),
        });
      } catch (err) {
        if (err instanceof LLMCallLimitError || opts.signal?.aborted === true) throw err;
        settle(false, false, 0);
        return report(base, 'deterministic', { ...llmFailure(err), ...cacheNote });
      }
    },
  };
}

function missOf(v: CacheVerdict): NonNullable<PlanetLlmOutcome['cache']> {
  return v.hit ? 'evicted' : v.reason;
}

/** What the planet's answer to `prompt` depends on (see {@link PlanetDefinition.reads}). */
function inputsFor(
  def: PlanetDefinition,
  input: PlanetInput,
  prompt: PlanetPrompt<unknown>,
  task: string,
): CacheInputs {
  const reads = def.reads ?? { features: featuresOfMoons(def.moons) };
  const features: Record<string, number> = {};
  for (const name of reads.features) {
    const v = input.snapshot.features[name];
    if (v !== undefined) features[name] = v;
  }
  if (reads.extra !== undefined) Object.assign(features, reads.extra(input));
  // The prompt's version: its fixed part (the system message), the task and the planet.
  const system = prompt.messages.find((m) => m.role === 'system')?.content ?? '';
  return {
    symbol: input.snapshot.symbol,
    time: input.snapshot.bar.time,
    features,
    texts:
      reads.news === true
        ? [...(input.news ?? [])]
        : typeof reads.news === 'function'
          ? [...reads.news(input.news ?? [])]
          : [],
    promptVersion: promptVersionOf(JSON.stringify([def.name, task, system])),
  };
}

function readPlanetAnswer(answer: unknown, _base: PlanetAssessment): PlanetAssessment {
  const a = answer as PlanetAnswer;
  return { signal: a.signal, confidence: a.confidence, reasons: [...a.reasons] };
}

const REFUSALS: ReadonlySet<string> = new Set([
  LLMErrorCode.COOLING_DOWN,
  LLMErrorCode.BUDGET_EXCEEDED,
  LLMErrorCode.POLICY,
]);

/** Classifies an error of the LLM step for the record. */
export function llmFailure(err: unknown): PlanetLlmOutcome {
  if (err instanceof LLMError) {
    const outcome = REFUSALS.has(err.code)
      ? 'refused'
      : err.code === LLMErrorCode.RESPONSE_FORMAT
        ? 'invalid'
        : 'failed';
    return {
      outcome,
      code: err.code,
      detail: err.message,
      ...(err.provider === undefined ? {} : { provider: err.provider }),
      ...(err.model === undefined ? {} : { model: err.model }),
    };
  }
  return { outcome: 'failed', detail: err instanceof Error ? err.message : String(err) };
}
