import { type ChatMessage, LLMCallLimitError } from '@orrery/core';
import { z } from 'zod';
import type { CallAllowance } from '../call-allowance.ts';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import { type AnswerCache, type CacheInputs, promptVersionOf } from '../planets/answer-cache.ts';
import { fmt } from '../planets/planet.ts';
import { roundDeep, shownNews } from '../planets/prompt.ts';
import { fragilityOf } from '../planets/risk.ts';

/** The sun's market-understanding summary of one symbol. */
export const marketSummarySchema = z.object({
  /** Two or three sentences: the regime, the trend, what the market is doing. */
  summary: z.string().min(1).max(800),
});

/** The sun's fragility card of one symbol: how easily the position could be hurt, and by what. */
export const fragilityCardSchema = z.object({
  fragility: z.number().min(0).max(1),
  drivers: z.array(z.string().max(200)).max(5),
  watch: z.string().max(300),
});

/** The gateway tasks of the sun's cached notes. */
export const THOUGHT_TASKS = { summary: 'market_summary', fragility: 'fragility_card' } as const;
/** Which note. */
export type ThoughtKind = keyof typeof THOUGHT_TASKS;

/** The agents (ledger `agent`, cache stats key) of the notes. */
export const THOUGHT_AGENTS: Readonly<Record<ThoughtKind, string>> = {
  summary: 'sun:summary',
  fragility: 'sun:fragility',
};

/** What each note reads (material features; the summary also the news). */
const READS: Readonly<Record<ThoughtKind, { features: readonly string[]; news: boolean }>> = {
  summary: {
    features: ['price', 'trend', 'volLevel', 'maSpread', 'rsi', 'volatility', 'drawdown'],
    news: true,
  },
  fragility: { features: ['volatility', 'drawdown', 'var', 'atrPct', 'volLevel'], news: false },
};

const SYSTEM: Readonly<Record<ThoughtKind, string>> = {
  summary:
    'You keep the market-understanding summary of one traded symbol for the orchestrator of Orrery, a trading system. ' +
    'In two or three sentences say what regime the market is in, how strong and how old the trend is, and what ' +
    'would change the picture. Answer with ONE JSON object and nothing else: {"summary": "..."}.',
  fragility:
    'You keep the fragility card of one traded symbol for the orchestrator of Orrery, a trading system: how easily a position could be hurt, and by what. Answer with ONE JSON object and nothing else: ' +
    '{"fragility": number from 0 (robust) to 1 (fragile), "drivers": ["up to 5 short reasons"], "watch": "what to watch next"}.',
};

/** One symbol's cached notes: an answer cache per note (see `agents.cache`, tasks `market_summary`, `fragility_card`). */
export interface SunThoughts {
  caches: Partial<Record<ThoughtKind, AnswerCache>>;
}

/** The note lines the sun reads in `FULL_AGENT`, and what each lookup did. */
export interface ThoughtNotes {
  lines: string[];
  /** Per note: `hit`, or why it called (absent when there was no permit or cache). */
  cache: Partial<Record<ThoughtKind, string>>;
}

function inputsOf(kind: ThoughtKind, s: MoonSnapshot, news: readonly string[] | undefined): CacheInputs {
  const r = READS[kind];
  const features = pick(s.features, r.features);
  if (kind === 'summary' && s.readings.trend.forecast !== null) features.forecast = s.readings.trend.forecast;
  if (kind === 'fragility') features.critical = s.readings.alerts.stopBreached ? 1 : 0;
  return {
    symbol: s.symbol,
    time: s.bar.time,
    features,
    texts: r.news ? shownNews(news) : [],
    promptVersion: promptVersionOf(JSON.stringify([kind, THOUGHT_TASKS[kind], SYSTEM[kind]])),
  };
}

function pick(features: Readonly<Record<string, number>>, names: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of names) if (features[n] !== undefined) out[n] = features[n];
  return out;
}

function messagesOf(kind: ThoughtKind, s: MoonSnapshot, news: readonly string[] | undefined): ChatMessage[] {
  const lines = [
    `Symbol ${s.symbol}, bar ${new Date(s.bar.time).toISOString()}, close ${fmt(s.bar.close, 6)}.`,
    // Only the features the note reads (those its cache compares): a move of any other cannot change it.
    `Features: ${JSON.stringify(roundDeep(pick(s.features, READS[kind].features), 4))}`,
  ];
  if (kind === 'summary') {
    lines.push(`Trend forecast (EWMA crossovers, [-1, 1]): ${fmt(s.readings.trend.forecast, 3)}.`);
    if (news !== undefined && news.length > 0)
      lines.push(
        `News:\n${shownNews(news)
          .map((n, i) => `${i + 1}. ${n}`)
          .join('\n')}`,
      );
  } else {
    const f = fragilityOf({ snapshot: s });
    lines.push(`Deterministic fragility ${fmt(f.fragility, 3)} (${JSON.stringify(roundDeep(f.parts, 3))}).`);
    if (s.criticalUpdates.length > 0) lines.push(`Critical: ${s.criticalUpdates.join('; ')}.`);
  }
  return [
    { role: 'system', content: SYSTEM[kind] },
    { role: 'user', content: lines.join('\n') },
  ];
}

function lineOf(kind: ThoughtKind, parsed: unknown, asOf: number): string {
  const when = new Date(asOf).toISOString().slice(0, 10);
  if (kind === 'summary') return `Market summary (as of ${when}): ${(parsed as { summary: string }).summary}`;
  const c = parsed as z.output<typeof fragilityCardSchema>;
  return `Fragility card (as of ${when}): ${fmt(c.fragility, 2)}; ${c.drivers.join('; ') || 'no drivers'}; watch: ${c.watch}`;
}

/**
 * The sun's market-understanding summary and fragility card for this cycle, each reused from its cache
 * while what it reads has not moved past the material-change thresholds and its TTL runs (a gateway
 * cache hit: no call, no budget), regenerated otherwise through its own one-call permit. A note whose
 * call fails is left out; this never throws except on abort.
 */
export async function readThoughts(o: {
  thoughts: SunThoughts;
  permits: Partial<Record<ThoughtKind, CallAllowance>>;
  snapshot: MoonSnapshot;
  news: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
}): Promise<ThoughtNotes> {
  const kinds = (Object.keys(THOUGHT_TASKS) as ThoughtKind[]).filter(
    (k) => o.thoughts.caches[k] !== undefined && o.permits[k] !== undefined,
  );
  const notes: ThoughtNotes = { lines: [], cache: {} };
  const results = await Promise.all(
    kinds.map(async (kind) => {
      const cache = o.thoughts.caches[kind] as AnswerCache;
      const permit = o.permits[kind] as CallAllowance;
      const inputs = inputsOf(kind, o.snapshot, o.news);
      const verdict = cache.check(inputs);
      try {
        const res = await permit.execute({
          task: THOUGHT_TASKS[kind],
          messages: messagesOf(kind, o.snapshot, o.news),
          schema: (kind === 'summary' ? marketSummarySchema : fragilityCardSchema) as z.ZodType<unknown>,
          maxTokens: 300,
          temperature: 0,
          cache: { ttlMs: cache.settings.ttlMs, key: verdict.key },
          ...(o.signal === undefined ? {} : { signal: o.signal }),
        });
        const answered = res.success && res.parsed !== undefined;
        cache.settle(inputs, verdict, { answered, cached: res.cached, costUsd: res.costUsd });
        const hit = verdict.hit && res.cached;
        return {
          kind,
          note: hit ? 'hit' : verdict.hit ? 'evicted' : verdict.reason,
          line: answered ? lineOf(kind, res.parsed, cache.entryTime(inputs.symbol) ?? inputs.time) : null,
        };
      } catch (err) {
        if (err instanceof LLMCallLimitError || o.signal?.aborted === true) throw err;
        cache.settle(inputs, verdict, { answered: false, cached: false, costUsd: 0 });
        return { kind, note: verdict.hit ? 'evicted' : verdict.reason, line: null };
      }
    }),
  );
  for (const r of results) {
    notes.cache[r.kind] = r.note;
    if (r.line !== null) notes.lines.push(r.line);
  }
  return notes;
}
