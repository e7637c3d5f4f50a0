import type { ExecutionMode } from '@orrery/core';
import type { CallAllowance } from '../call-allowance.ts';
import type { PortfolioView } from '../market.ts';
import type { MoonSnapshot } from '../moons/snapshot.ts';

/** What a planet reads: the moons' snapshot of one symbol, and the context a caller may add. */
export interface PlanetInput {
  snapshot: MoonSnapshot;
  /** Headlines or other text about the symbol (the sentiment planet reads them). */
  news?: readonly string[] | undefined;
  portfolio?: PortfolioView | undefined;
}

/**
 * What a planet is for — one job each:
 * - `forecast`: a directional forecast in [−1, 1] (technical, sentiment, spec planets): the only votes;
 * - `risk`: a size multiplier in [0, 1] (`data.multiplier`), never a direction;
 * - `execution`: how and when to trade (`data.orderType`, `data.skip`, …), never a direction.
 */
export type PlanetRole = 'forecast' | 'risk' | 'execution';

/** A planet's view of one symbol: a signed signal, how sure it is, and why. */
export interface PlanetAssessment {
  /**
   * A forecast planet's forecast: −1 (strong sell) … +1 (strong buy); 0 is neutral. Risk and execution
   * planets report 0: they do not vote on direction.
   */
  signal: number;
  /** 0 (no information: the planet abstains from votes) … 1. */
  confidence: number;
  reasons: string[];
  /** Planet-specific figures (e.g. the risk planet's `fragility`). */
  data?: Record<string, number | string | boolean | null>;
}

/** What happened to a planet's LLM call this cycle. */
export interface PlanetLlmOutcome {
  /**
   * - `answered`: the planet's signal comes from the model.
   * - `refused`: the gateway refused before any provider call (cooling down, budget, policy).
   * - `failed`: the provider failed (429, timeout, 5xx): the deterministic analysis stands.
   * - `invalid`: the answer was not JSON matching the schema: the deterministic analysis stands.
   * - `skipped`: no call was made (no gateway, nothing to ask).
   */
  outcome: 'answered' | 'refused' | 'failed' | 'invalid' | 'skipped';
  detail?: string;
  /** The error code, when the call failed. */
  code?: string;
  provider?: string;
  model?: string;
  /** With an answer cache: `hit` (the answer was reused, no call), or why it had to call. */
  cache?: 'hit' | 'absent' | 'expired' | 'material_change' | 'news' | 'prompt' | 'evicted';
}

/** One planet's report for one cycle, as recorded. */
export interface PlanetReport extends PlanetAssessment {
  planet: string;
  /** `ok`, or why the planet has no say this cycle. */
  status: 'ok' | 'failed' | 'timeout' | 'stopped';
  /** Where the signal came from. */
  source: 'deterministic' | 'llm';
  /** The planet's vote weight. */
  weight: number;
  /** The planet's job (absent: `forecast`). */
  role?: PlanetRole;
  llm?: PlanetLlmOutcome;
  /** The error, when status is not `ok`. */
  error?: string;
}

/** Options of one {@link Planet.analyze} call. */
export interface AnalyzeOptions {
  /** `MONITOR_ONLY`: deterministic only; otherwise at most one LLM call (default: LIGHT_REASONING with a gateway). */
  mode?: ExecutionMode;
  /** The per-cycle call permit; by default a fresh one-call permit on the planet's own gateway. */
  allowance?: CallAllowance;
  /** Aborted when the planet's time is up. */
  signal?: AbortSignal;
  news?: readonly string[];
  portfolio?: PortfolioView;
  /**
   * Tells another planet something about this symbol (a `planet.lateral` on the bus, which the sun also
   * receives and the cycle record counts). The other planet hears it in its next consult (`heard`).
   * Present when the planet is consulted through the bus.
   */
  tell?: (planet: string, topic: string, body: LateralBody) => void;
  /** What other planets told this one about this symbol since its last consult, oldest first. */
  heard?: readonly Lateral[];
}

/** A lateral message's body: JSON. */
export type LateralBody = string | number | boolean | null | LateralBody[] | { [k: string]: LateralBody };

/** One thing a planet was told by another (see `AnalyzeOptions.tell`). */
export interface Lateral {
  from: string;
  topic: string;
  body: LateralBody;
}

/**
 * A planet: a light-reasoning analyst. `assess` is its deterministic analysis, synchronous and free;
 * `analyze` may add at most one LLM call (planner and executor merged in one prompt) and falls back to
 * `assess` when that call fails, is refused or answers nonsense. Runs alone, without a sun.
 */
export interface Planet {
  readonly name: string;
  /** Vote weight in the consensus (≥ 0); only `forecast` planets vote. */
  readonly weight: number;
  /** Its one job (absent: `forecast`). */
  readonly role?: PlanetRole;
  /** The moons whose readings it uses. */
  readonly moons: readonly string[];
  /** The deterministic analysis. Throws only on a bug. */
  assess(input: PlanetInput): PlanetAssessment;
  /**
   * The analysis for one cycle. Throws only if `assess` throws, the call permit is exceeded
   * (`LLMCallLimitError`) or `opts.signal` aborts.
   */
  analyze(snapshot: MoonSnapshot, opts?: AnalyzeOptions): Promise<PlanetReport>;
}

/** Clamps x into [lo, hi]; NaN is treated as 0. */
export function clamp(x: number, lo = -1, hi = 1): number {
  if (Number.isNaN(x)) return Math.min(hi, Math.max(lo, 0));
  return Math.min(hi, Math.max(lo, x));
}

/** Powers of ten that are exact doubles (10^0 … 10^22). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Formats a number for prompts and reasons (`digits` significant digits; `n/a` when missing): exactly
 * `Number(x.toPrecision(digits)).toString()`, which a cycle calls some 16 times (~1 µs each). The usual
 * case (1e-6 ≤ |x|, a fraction's digits, no tie at the rounding digit) is written from the rounded
 * integer's digits instead; anything else takes the reference path.
 */
export function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return 'n/a';
  if (x === 0) return '0';
  const a = Math.abs(x);
  const k = digits - 1 - Math.floor(Math.log10(a)); // decimals kept
  if (a >= 1e-6 && k >= 0 && k <= 22 && digits <= 15) {
    const y = a * (POW10[k] as number);
    // Far from a tie, y's rounding is the decimal rounding of x (y's own error is ~1 ulp).
    if (Math.abs(y - Math.floor(y) - 0.5) > 1e-6) {
      const s = decimalOf(String(Math.round(y)), k);
      return x < 0 ? `-${s}` : s;
    }
  }
  return Number(x.toPrecision(digits)).toString();
}

/** `n / 10^k` written out (n: the digits of a non-negative integer), without trailing zeros. */
function decimalOf(n: string, k: number): string {
  if (k === 0) return n;
  let end = n.length;
  const point = n.length - k; // digits before the point (≤ 0: none)
  while (end > Math.max(point, 0) && n.charCodeAt(end - 1) === 48) end--;
  if (point > 0) return end > point ? `${n.slice(0, point)}.${n.slice(point, end)}` : n.slice(0, point);
  return `0.${'0'.repeat(-point)}${n.slice(0, end)}`;
}
