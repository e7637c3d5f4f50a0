import type { StoredCycle } from '@orrery/broker';
import type { CycleUsage } from '../metrics/usage.ts';

/** The fields of a decision the summary, the trade list and the LLM's ROI read. */
interface DecisionDigest {
  readonly action: 'buy' | 'sell' | 'hold' | 'flatten';
  readonly targetFraction: number;
  readonly source: string;
  readonly stopPrice?: number;
}

/**
 * What the end of a run needs of one cycle record — usage and spend, routing, the trade list's exit
 * reasons, the LLM's ROI, supervision's stops — and nothing else: a run's records are read once, each
 * reduced to this as it is read, so the finish phase never holds every whole record at once.
 */
export interface CycleDigest extends CycleUsage {
  readonly symbol: string;
  readonly fallback?: string;
  readonly clamps?: readonly string[];
  readonly decision: DecisionDigest;
  readonly consensusDecision?: DecisionDigest;
  readonly route?: { readonly leaves: readonly string[]; readonly planets: readonly string[] };
  readonly planets: readonly {
    readonly planet: string;
    readonly status: string;
    readonly source?: string;
    readonly llm?: { readonly outcome?: string; readonly detail?: string };
  }[];
  readonly messages: readonly { readonly type: string; readonly count: number }[];
  /** Supervision's verdicts in this cycle (absent when there were none). */
  readonly faults?: readonly {
    readonly child?: unknown;
    readonly verdict?: unknown;
    readonly error?: unknown;
  }[];
}

type Loose = Record<string, unknown> | undefined;

function decisionOf(d: Loose): DecisionDigest | undefined {
  if (d === undefined || d === null) return undefined;
  return {
    action: d.action as DecisionDigest['action'],
    targetFraction: d.targetFraction as number,
    source: d.source as string,
    ...(d.stopPrice === undefined ? {} : { stopPrice: d.stopPrice as number }),
  };
}

/** Returns a value deep-equal to the one given: the same object for every equal one, or that very one. */
export type Intern = <T>(value: T) => T;

/**
 * An {@link Intern} that hands out one object per distinct JSON text: a run's cycles mostly repeat the
 * same planet list, messages and route, and a digest of a long run should not hold a copy of each per bar.
 * Only for values of strings, booleans, integers and their lists and objects (JSON tells them apart).
 */
export function interner(): Intern {
  const seen = new Map<string, unknown>();
  return <T>(value: T): T => {
    const key = JSON.stringify(value);
    const known = seen.get(key);
    if (known !== undefined) return known as T;
    seen.set(key, value);
    return value;
  };
}

const asIs: Intern = (v) => v;

/** Reduces one stored cycle to its {@link CycleDigest}, its repeated parts through `intern`. */
export function digestCycle(c: StoredCycle, intern: Intern = asIs): CycleDigest {
  const r = (c.record ?? {}) as Record<string, unknown>;
  const planets = ((r.planets as Loose[] | undefined) ?? []).map((p) => {
    const llm = p?.llm as { outcome?: string; detail?: string } | undefined;
    return {
      planet: p?.planet as string,
      status: p?.status as string,
      ...(p?.source === undefined ? {} : { source: p.source as string }),
      ...(llm === undefined
        ? {}
        : {
            llm: {
              ...(llm.outcome === undefined ? {} : { outcome: llm.outcome }),
              ...(llm.detail === undefined ? {} : { detail: llm.detail }),
            },
          }),
    };
  });
  const clamps = r.clamps as string[] | undefined;
  const faults = r.faults as CycleDigest['faults'];
  const consensus = decisionOf(r.consensusDecision as Loose);
  const route = r.route as CycleDigest['route'];
  return {
    symbol: c.symbol,
    time: c.time,
    mode: c.mode,
    calls: (r.calls as number | undefined) ?? 0,
    tokensIn: (r.tokensIn as number | undefined) ?? 0,
    tokensOut: (r.tokensOut as number | undefined) ?? 0,
    costUsd: (r.costUsd as number | undefined) ?? 0,
    ...(r.fallback === undefined ? {} : { fallback: r.fallback as string }),
    ...(clamps === undefined || clamps.length === 0 ? {} : { clamps: intern(clamps) }),
    decision: decisionOf(r.decision as Loose) as DecisionDigest,
    ...(consensus === undefined ? {} : { consensusDecision: consensus }),
    ...(route === undefined ? {} : { route: intern({ leaves: route.leaves, planets: route.planets }) }),
    planets: intern(planets),
    messages: intern(
      ((r.messages as { type: string; count: number }[] | undefined) ?? []).map((m) => ({
        type: m.type,
        count: m.count,
      })),
    ),
    ...(faults === undefined || faults.length === 0 ? {} : { faults }),
  };
}

/**
 * Every cycle of the run, in time order, each reduced as it is read (one pass over the ledger); equal
 * planet lists, message counts, routes and clamps are one object shared by the digests (see `interner`).
 */
export function digestCycles(cycles: Iterable<StoredCycle>): CycleDigest[] {
  const out: CycleDigest[] = [];
  const intern = interner();
  for (const c of cycles) out.push(digestCycle(c, intern));
  return out;
}
