import type { LlmReply, LlmServer } from '@orrery/testkit';
import type { Bar, CycleRecord, PortfolioView, SolarSystem } from '../../src/index.ts';
import { MODELS, promptText } from './llm.ts';

/** A flat account of 100k. */
export const FLAT: PortfolioView = { equity: 100_000, cash: 100_000, positions: {} };

/** Valid answers for every role, so a cycle in any mode can complete. */
export const ANSWERS = {
  planet: { plan: ['weigh trend against momentum'], signal: 0.5, confidence: 0.6, reasons: ['momentum up'] },
  sentiment: { summary: 'quiet news', sentiment: 0.1, confidence: 0.2 },
  sun: {
    type: 'decision',
    forecast: 0.8,
    confidence: 0.7,
    rationale: 'trend and momentum agree',
  },
  critic: { verdict: 'approve', scale: 1, reasons: ['sized sensibly'] },
  summary: { summary: 'a steady uptrend in calm markets' },
  fragility: { fragility: 0.2, drivers: ['low volatility'], watch: 'a break below the slow average' },
} as const;

/** Answers every model with its role's valid answer (scripted replies still come first). */
export function answerAll(
  server: LlmServer,
  overrides: Partial<Record<keyof typeof MODELS, LlmReply>> = {},
): void {
  server.setDefault((req) => {
    for (const [role, model] of Object.entries(MODELS) as [keyof typeof MODELS, string][]) {
      if (req.model === model && overrides[role] !== undefined) return overrides[role];
    }
    switch (req.model) {
      case MODELS.planet:
        return { json: ANSWERS.planet };
      case MODELS.local:
        return { json: ANSWERS.sentiment };
      case MODELS.sun:
      case MODELS.backupSun:
        return { json: ANSWERS.sun };
      case MODELS.critic:
        return { json: ANSWERS.critic };
      case MODELS.notes:
        return {
          json: promptText(req.body).includes('fragility card') ? ANSWERS.fragility : ANSWERS.summary,
        };
      default:
        return { status: 404, message: `unknown model ${req.model}` };
    }
  });
}

/** Runs `bars` through the system for one symbol with a fixed portfolio; returns the records. */
export async function runBars(
  sys: SolarSystem,
  bars: readonly Bar[],
  portfolio: PortfolioView = FLAT,
  symbol = 'SPX',
): Promise<CycleRecord[]> {
  const out: CycleRecord[] = [];
  for (const bar of bars) out.push(await sys.cycle({ symbol, bar, portfolio }));
  return out;
}

/**
 * Runs `bars` with an account that follows the decisions (each decision's target is held from the next
 * bar on, at that bar's close): what the paper broker would show the agents.
 */
export async function runFollowing(
  sys: SolarSystem,
  bars: readonly Bar[],
  symbol = 'SPX',
  equity = 100_000,
): Promise<CycleRecord[]> {
  const out: CycleRecord[] = [];
  let qty = 0;
  for (const bar of bars) {
    const portfolio: PortfolioView = {
      equity,
      cash: equity - qty * bar.close,
      positions: qty === 0 ? {} : { [symbol]: { qty, avgPrice: bar.close } },
    };
    const r = await sys.cycle({ symbol, bar, portfolio });
    out.push(r);
    qty = (r.decision.targetFraction * equity) / bar.close;
  }
  return out;
}
