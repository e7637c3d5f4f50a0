import { z } from 'zod';
import { definePlanet } from './define-planet.ts';
import { clamp, fmt, type Planet, type PlanetAssessment, type PlanetInput } from './planet.ts';
import { shownNews } from './prompt.ts';
import type { BuiltinPlanetOptions } from './technical.ts';

const POSITIVE = new Set(
  'beat beats surge surges surged rally rallies rallied upgrade upgrades upgraded record growth profit profits strong gain gains bullish outperform raise raises raised buyback approval approved soar soars soared jump jumps jumped rebound rebounds boost boosts optimism'.split(
    ' ',
  ),
);
const NEGATIVE = new Set(
  'miss misses missed plunge plunges plunged downgrade downgrades downgraded loss losses weak bearish lawsuit fraud recall cut cuts layoffs bankruptcy default probe investigation slump slumps fall falls fell drop drops dropped warning warns underperform selloff crash crashes fear'.split(
    ' ',
  ),
);

/**
 * The sentiment planet's deterministic analysis: a small finance lexicon over the headlines (each
 * headline scores (positive − negative) / (positive + negative) words; the signal is the mean over
 * headlines that score). Without news: neutral with zero confidence (it abstains).
 */
export function assessSentiment({ news }: PlanetInput): PlanetAssessment {
  if (news === undefined || news.length === 0) {
    return { signal: 0, confidence: 0, reasons: ['no news feed: neutral'] };
  }
  let scored = 0;
  let total = 0;
  for (const line of news) {
    let pos = 0;
    let neg = 0;
    for (const word of line.toLowerCase().match(/[a-z]+/g) ?? []) {
      if (POSITIVE.has(word)) pos += 1;
      else if (NEGATIVE.has(word)) neg += 1;
    }
    if (pos + neg > 0) {
      scored += 1;
      total += (pos - neg) / (pos + neg);
    }
  }
  if (scored === 0) {
    return { signal: 0, confidence: 0.05, reasons: [`${news.length} headline(s), none with a clear tone`] };
  }
  const signal = clamp(total / scored);
  return {
    signal,
    confidence: clamp(0.15 * scored, 0, 0.6),
    reasons: [`${scored} of ${news.length} headline(s) scored, mean tone ${fmt(signal, 3)}`],
    data: { headlines: news.length, scored },
  };
}

/** The JSON the sentiment planet's summarising call returns. */
export const sentimentAnswerSchema = z.object({
  summary: z.string().max(400),
  sentiment: z.number().min(-1).max(1),
  confidence: z.number().min(0).max(1),
});

/**
 * The sentiment planet: reads the news passed to `analyze`; its one call is a summarising task (by
 * default `summarise`, which the routing policy may send to the local model).
 */
export function sentimentPlanet(opts: BuiltinPlanetOptions = {}): Planet {
  return definePlanet({
    name: 'sentiment',
    weight: opts.weight ?? 0.5,
    moons: [],
    task: opts.task ?? 'summarise',
    gateway: opts.gateway,
    cache: opts.cache,
    // Only the news it is shown: the same headlines get the same summary.
    reads: { features: [], news: shownNews },
    assess: assessSentiment,
    prompt: (input, base) => {
      if (input.news === undefined || input.news.length === 0) return null;
      const lines = shownNews(input.news).map((n, i) => `${i + 1}. ${n}`);
      return {
        schema: sentimentAnswerSchema,
        messages: [
          {
            role: 'system',
            content:
              'Summarise the news about one traded symbol and rate its tone for the price. Answer with ONE JSON ' +
              'object and nothing else: {"summary": "one sentence", "sentiment": number from -1 (very negative) ' +
              'to 1 (very positive), "confidence": number from 0 to 1}.',
          },
          {
            role: 'user',
            content: `Symbol ${input.snapshot.symbol}. Lexicon tone ${fmt(base.signal, 3)}.\n${lines.join('\n')}`,
          },
        ],
        read: (answer) => {
          const a = answer as z.output<typeof sentimentAnswerSchema>;
          return { signal: a.sentiment, confidence: a.confidence, reasons: [a.summary] };
        },
      };
    },
  });
}
