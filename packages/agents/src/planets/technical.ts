import type { LLMCaller } from '../llm-caller.ts';
import { definePlanet } from './define-planet.ts';
import { clamp, fmt, type Planet, type PlanetAssessment, type PlanetInput } from './planet.ts';
import { planetMessages } from './prompt.ts';

const MOONS = ['rsi', 'macd', 'bollinger', 'atr', 'ma', 'regime'] as const;

/**
 * The technical planet's deterministic analysis: three components in [−1, 1] —
 * trend (EMA-fast over SMA-slow, 5 % saturates), momentum (MACD histogram over ATR) and mean reversion
 * (RSI beyond 70/30, close outside the Bollinger bands) — weighted by the regime (a range favours
 * reversion, a trend favours trend and momentum). Confidence = data completeness × agreement of the
 * components (|Σ w·s| / Σ w·|s|) × strength (0.5 + |signal| / 2).
 */
export function assessTechnical({ snapshot }: PlanetInput): PlanetAssessment {
  const r = snapshot.readings;
  const reasons: string[] = [];
  const parts: { key: string; value: number | null }[] = [];

  let trend: number | null = null;
  if (r.ma.emaFast !== null && r.ma.smaSlow !== null) {
    const spread = r.ma.emaFast / r.ma.smaSlow - 1;
    trend = clamp(spread * 20);
    reasons.push(`EMA ${spread >= 0 ? 'above' : 'below'} SMA by ${fmt(Math.abs(spread) * 100, 3)} %`);
  }
  parts.push({ key: 'trend', value: trend });

  let momentum: number | null = null;
  if (r.macd.histogram !== null && r.atr.atr !== null && r.atr.atr > 0) {
    momentum = clamp((2 * r.macd.histogram) / r.atr.atr);
    reasons.push(`MACD histogram ${fmt(r.macd.histogram)} (${fmt(r.macd.histogram / r.atr.atr, 3)} ATR)`);
  }
  parts.push({ key: 'momentum', value: momentum });

  let reversion: number | null = null;
  if (r.rsi.rsi !== null || r.bollinger.percentB !== null) {
    let v = 0;
    const rsi = r.rsi.rsi;
    if (rsi !== null && rsi > 70) v -= (rsi - 70) / 30;
    if (rsi !== null && rsi < 30) v += (30 - rsi) / 30;
    const pb = r.bollinger.percentB;
    if (pb !== null && pb > 1) v -= Math.min(1, pb - 1) * 0.5;
    if (pb !== null && pb < 0) v += Math.min(1, -pb) * 0.5;
    reversion = clamp(v);
    if (rsi !== null) reasons.push(`RSI ${fmt(rsi, 3)}`);
    if (pb !== null && (pb > 1 || pb < 0))
      reasons.push(`close ${pb > 1 ? 'above' : 'below'} the Bollinger band`);
  }
  parts.push({ key: 'reversion', value: reversion });

  const regime = r.regime.trend;
  const weights: Record<string, number> =
    regime === 'range'
      ? { trend: 0.2, momentum: 0.3, reversion: 0.5 }
      : regime === 'up' || regime === 'down'
        ? { trend: 0.45, momentum: 0.35, reversion: 0.2 }
        : { trend: 0.35, momentum: 0.35, reversion: 0.3 };
  if (regime !== null) reasons.push(`regime ${regime}`);

  let sum = 0;
  let sumAbs = 0;
  let wAvail = 0;
  for (const p of parts) {
    if (p.value === null) continue;
    const w = weights[p.key] ?? 0;
    sum += w * p.value;
    sumAbs += w * Math.abs(p.value);
    wAvail += w;
  }
  if (wAvail === 0) return { signal: 0, confidence: 0, reasons: ['indicators still warming up'] };
  const signal = clamp(sum / wAvail);
  const agreement = sumAbs > 0 ? Math.abs(sum) / sumAbs : 0;
  const confidence = clamp(wAvail * (0.25 + 0.75 * agreement) * (0.5 + 0.5 * Math.abs(signal)), 0, 1);
  return { signal, confidence, reasons, data: { trend, momentum, reversion, agreement } };
}

/** Options of the built-in planets. */
export interface BuiltinPlanetOptions {
  /** Vote weight (default per planet). */
  weight?: number;
  /** The planet's own gateway for standalone use (the sun passes per-cycle permits instead). */
  gateway?: LLMCaller | null;
  /** Gateway task of its call (default `planet_analysis`). */
  task?: string;
}

/** The technical planet: trend, momentum and mean reversion from the indicator moons. */
export function technicalPlanet(opts: BuiltinPlanetOptions = {}): Planet {
  return definePlanet({
    name: 'technical',
    weight: opts.weight ?? 1,
    moons: MOONS,
    task: opts.task ?? 'planet_analysis',
    gateway: opts.gateway,
    assess: assessTechnical,
    prompt: (input, base) => ({
      messages: planetMessages('technical analyst (trend, momentum, mean reversion)', input, base, MOONS),
    }),
  });
}
