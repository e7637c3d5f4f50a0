import type { ChatMessage } from '@orrery/core';
import { PLANET_ANSWER_FORMAT } from './answer.ts';
import { fmt, type PlanetAssessment, type PlanetInput } from './planet.ts';

/** The news a prompt shows: the first 20 items, each cut at 300 characters (what a news key compares). */
export function shownNews(news: readonly string[] | undefined): string[] {
  return (news ?? []).slice(0, 20).map((n) => n.slice(0, 300));
}

/** A copy of `value` with every number rounded to `digits` significant digits (short, stable prompts). */
export function roundDeep(value: unknown, digits = 6): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? Number(value.toPrecision(digits)) : null;
  if (Array.isArray(value)) return value.map((v) => roundDeep(v, digits));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, roundDeep(v, digits)]));
  }
  return value;
}

/**
 * Per moon, the fields of its reading a planet reads (a moon not named here is shown whole): what a
 * planet is shown is what its answer cache keys on, so a field it has no use for stays out of both.
 */
export type ReadingFields = Readonly<Record<string, readonly string[]>>;

/** The readings of `moons` from the snapshot (only `fields` of the moons named there), rounded, as one JSON line. */
export function readingsJson(
  input: PlanetInput,
  moons: readonly string[],
  fields: ReadingFields = {},
): string {
  const picked: Record<string, unknown> = {};
  for (const m of moons) {
    const reading = input.snapshot.readings[m] ?? null;
    const only = fields[m];
    picked[m] =
      only === undefined || reading === null || typeof reading !== 'object'
        ? reading
        : Object.fromEntries(only.map((f) => [f, (reading as Record<string, unknown>)[f] ?? null]));
  }
  return JSON.stringify(roundDeep(picked));
}

/**
 * The single planner-executor prompt of a planet: its role and the answer format, then the bar, the
 * readings it uses and its own deterministic analysis (which the model may confirm or overrule).
 * Deterministic for identical inputs (no clock, no randomness), so recorded answers replay.
 */
export function planetMessages(
  role: string,
  input: PlanetInput,
  base: PlanetAssessment,
  moons: readonly string[],
  extra = '',
  fields: ReadingFields = {},
): ChatMessage[] {
  const { bar, symbol } = input.snapshot;
  const when = new Date(bar.time).toISOString();
  return [
    {
      role: 'system',
      content:
        `You are the ${role} of Orrery, a trading system: one of several analysts whose signals are combined. ` +
        `First plan which readings matter, then carry out the plan, in the same answer. ${PLANET_ANSWER_FORMAT}`,
    },
    {
      role: 'user',
      content:
        `Symbol ${symbol}, bar ${when}: open ${fmt(bar.open, 6)} high ${fmt(bar.high, 6)} low ${fmt(bar.low, 6)} ` +
        `close ${fmt(bar.close, 6)} volume ${fmt(bar.volume, 6)}.\n` +
        `Readings: ${readingsJson(input, moons, fields)}\n` +
        `Deterministic analysis: signal ${fmt(base.signal)}, confidence ${fmt(base.confidence)}; ` +
        `${base.reasons.join('; ') || 'no reasons'}.${extra === '' ? '' : `\n${extra}`}`,
    },
  ];
}
