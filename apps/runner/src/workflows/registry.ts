import { isAbsolute, resolve } from 'node:path';
import {
  createMoonBank,
  createPlanet,
  PLANET_KINDS,
  type Planet,
  planetFromSpec,
  type SolarSystemConfig,
} from '@orrery/agents';
import { isBundledName, loadDataSource, parseTime, type ResolvedSeries } from '@orrery/feeds';
import {
  type AgentDefinition,
  type AgentRegistry,
  createAgentRegistry,
  IntelligenceLevel,
} from '@orrery/workflow';
import { z } from 'zod';

const dataInput = z
  .string()
  .min(1)
  .describe('market data: spy, btc, btc-hourly (bundled) or the path of an OHLCV CSV file');
const dateInput = z.string().describe('a date like 2020-01-31 (inclusive)');

/** What the runner's workflow agents need: the agents' settings and where relative paths start. */
export interface WorkflowAgentsOptions {
  /** The configuration's `agents` (moon periods, planet weights, spec planets). */
  readonly agents: SolarSystemConfig;
  /** Relative CSV paths resolve against this folder. */
  readonly cwd: string;
}

/**
 * The agents `orrery workflow` and `POST /workflows` steps may call (the planner sees their JSON Schemas):
 * - `market_summary` (no LLM): a data set's bars over a range — count, first and last close, return,
 *   annualised volatility;
 * - `planet_signal` (no LLM): one planet's deterministic analysis (a built-in planet or a spec planet of
 *   `agents.planets.specs`) at the last bar of a range, after the moons have seen every bar before it;
 * - `summarise` (INTELLIGENT, one LLM call through the gateway, task `summarise`): text or JSON → a
 *   short summary.
 */
export function workflowAgents(o: WorkflowAgentsOptions): AgentRegistry {
  const planets = new Map<string, () => Planet>([
    ...PLANET_KINDS.map((k) => [k, () => createPlanet(k)] as const),
    ...o.agents.planets.specs.map((s) => [s.name, () => planetFromSpec(s)] as const),
  ]);
  const barsOf: BarsOf = (data, from, to) => {
    const source = isBundledName(data) || isAbsolute(data) ? data : resolve(o.cwd, data);
    const series = loadDataSource({ source });
    const lo = from === undefined ? Number.NEGATIVE_INFINITY : bound(from, 'from');
    const hi = to === undefined ? Number.POSITIVE_INFINITY : bound(to, 'to') + 86_399_999;
    const bars = series.bars.filter((b) => b.time >= lo && b.time <= hi);
    if (bars.length === 0)
      throw new Error(`no bar of ${series.symbol} between ${from ?? '…'} and ${to ?? '…'}`);
    return { series, bars };
  };
  return createAgentRegistry()
    .register('market_summary', marketSummaryAgent(barsOf))
    .register('planet_signal', planetSignalAgent(barsOf, planets, o.agents))
    .register('summarise', summariseAgent());
}

/** A data set's bars between two dates (inclusive, whole days); a range without a bar is an error. */
type BarsOf = (
  data: string,
  from?: string,
  to?: string,
) => { series: ResolvedSeries; bars: ResolvedSeries['bars'] };

/** Keeps the definition's schema types, so `run`'s inputs are typed by `inputs`. */
function define<I extends z.ZodObject, O extends z.ZodType>(
  def: AgentDefinition<I, O>,
): AgentDefinition<I, O> {
  return def;
}

function marketSummaryAgent(barsOf: BarsOf) {
  return define({
    description:
      'Summarises a market data set over a date range: bars, first/last close, return, volatility.',
    inputs: z.object({ data: dataInput, from: dateInput.optional(), to: dateInput.optional() }),
    output: z.object({
      symbol: z.string(),
      bars: z.int(),
      first: z.string().describe('time of the first bar (ISO)'),
      last: z.string().describe('time of the last bar (ISO)'),
      firstClose: z.number(),
      lastClose: z.number(),
      returnPct: z.number().describe('close-to-close return over the range, in %'),
      annualVolPct: z.number().describe('annualised volatility of bar returns, in %'),
    }),
    run: ({ data, from, to }) => summary(barsOf(data, from, to)),
  });
}

function planetSignalAgent(barsOf: BarsOf, planets: Map<string, () => Planet>, agents: SolarSystemConfig) {
  const names = [...planets.keys()] as [string, ...string[]];
  return define({
    description:
      "One planet's deterministic analysis (signal in [-1, 1], confidence, reasons) at the last bar of a range.",
    inputs: z.object({
      data: dataInput,
      planet: z.enum(names).describe('the planet'),
      to: dateInput.optional().describe('the bar analysed: the last one up to this date (default: the last)'),
    }),
    output: z.object({
      planet: z.string(),
      symbol: z.string(),
      time: z.string(),
      signal: z.number(),
      confidence: z.number(),
      reasons: z.array(z.string()),
    }),
    run: ({ data, planet, to }) => {
      const { series, bars } = barsOf(data, undefined, to);
      const bank = createMoonBank({ symbol: series.symbol, config: agents });
      let snapshot = bank.update(bars[0]!);
      for (const bar of bars.slice(1)) snapshot = bank.update(bar);
      const a = planets.get(planet)!().assess({ snapshot, portfolio: { equity: 1, cash: 1, positions: {} } });
      return {
        planet,
        symbol: series.symbol,
        time: new Date(snapshot.bar.time).toISOString(),
        signal: a.signal,
        confidence: a.confidence,
        reasons: [...a.reasons],
      };
    },
  });
}

function summariseAgent() {
  return define({
    description:
      'Summarises text or JSON (e.g. earlier steps’ outputs) in a few sentences, with one LLM call.',
    intelligence: IntelligenceLevel.INTELLIGENT,
    inputs: z.object({
      text: z.unknown().describe('the text, or any JSON, to summarise'),
      instruction: z.string().max(2000).optional().describe('what the summary should focus on'),
    }),
    output: z.object({ summary: z.string() }),
    run: async ({ text, instruction }, ctx) => {
      const body = typeof text === 'string' ? text : JSON.stringify(text, null, 1);
      const res = await ctx.infer({
        task: 'summarise',
        maxTokens: 400,
        temperature: 0,
        messages: [
          { role: 'system', content: `Summarise in at most five sentences. ${instruction ?? ''}`.trim() },
          { role: 'user', content: body.slice(0, 20_000) },
        ],
      });
      if (!res.success) throw new Error(res.error?.message ?? 'the summary call failed');
      return { summary: res.text.trim() };
    },
  });
}

function bound(text: string, name: string): number {
  const t = parseTime(text);
  if (t === undefined) throw new Error(`${name} '${text}' is not a date like 2020-01-31`);
  return t;
}

function summary({ series, bars }: { series: ResolvedSeries; bars: ResolvedSeries['bars'] }) {
  const first = bars[0]!;
  const last = bars.at(-1)!;
  const rets: number[] = [];
  for (let i = 1; i < bars.length; i++) rets.push(bars[i]!.close / bars[i - 1]!.close - 1);
  const mean = rets.reduce((s, r) => s + r, 0) / Math.max(1, rets.length);
  const variance = rets.reduce((s, r) => s + (r - mean) ** 2, 0) / Math.max(1, rets.length - 1);
  const spanMs = last.time - first.time;
  const perYear = spanMs > 0 ? (rets.length * 365.25 * 86_400_000) / spanMs : 0;
  return {
    symbol: series.symbol,
    bars: bars.length,
    first: new Date(first.time).toISOString(),
    last: new Date(last.time).toISOString(),
    firstClose: first.close,
    lastClose: last.close,
    returnPct: (last.close / first.close - 1) * 100,
    annualVolPct: Math.sqrt(variance * perYear) * 100,
  };
}
