import {
  assertValidBar,
  assertValidPortfolio,
  buildSnapshot,
  type CallAllowance,
  createMoonBank,
  InvalidInputError,
  type MoonSnapshot,
  type Planet,
  type PlanetAnalysis,
  type SolarSystemConfigInput,
} from '@orrery/agents';
import { ExecutionMode } from '@orrery/core';
import type { AnalyzeBody } from './bodies/analyze.ts';
import type { BodyIssue } from './problem.ts';

/** What a planet needs for one analysis, checked. */
export interface AnalysisInput {
  snapshot: MoonSnapshot;
  mode: 'MONITOR_ONLY' | 'LIGHT_REASONING';
  news: readonly string[] | undefined;
  portfolio: AnalyzeBody['portfolio'];
}

/**
 * Builds the snapshot of an analyze body: runs a fresh moon bank (configured by `moons`) over `bars`, or
 * completes a given `snapshot`. Market sanity the schema cannot see (high below low, a close outside the
 * range, bars out of order, a non-positive equity) comes back as issues naming the path, e.g.
 * `bars[3].high`. Never throws for bad input.
 */
export function analysisInput(
  body: AnalyzeBody,
  moons: SolarSystemConfigInput | undefined,
): { ok: true; input: AnalysisInput } | { ok: false; issues: BodyIssue[] } {
  let snapshot: MoonSnapshot | undefined;
  try {
    if (body.portfolio !== undefined) assertValidPortfolio(body.portfolio);
  } catch (err) {
    if (err instanceof InvalidInputError)
      return { ok: false, issues: [{ path: err.field, message: err.message }] };
    throw err;
  }
  if (body.bars !== undefined) {
    const bank = createMoonBank({
      symbol: body.symbol ?? 'UNKNOWN',
      ...(moons === undefined ? {} : { config: moons }),
    });
    for (const [i, bar] of body.bars.entries()) {
      try {
        snapshot = bank.update(bar);
      } catch (err) {
        if (!(err instanceof InvalidInputError)) throw err;
        const field = err.field.replace(/^bar\.?/, '');
        return {
          ok: false,
          issues: [{ path: `bars[${i}]${field === '' ? '' : `.${field}`}`, message: err.message }],
        };
      }
    }
  } else if (body.snapshot !== undefined) {
    const s = body.snapshot;
    try {
      assertValidBar(s.bar, 'snapshot.bar');
    } catch (err) {
      if (err instanceof InvalidInputError)
        return { ok: false, issues: [{ path: err.field, message: err.message }] };
      throw err;
    }
    const readings = Object.fromEntries(Object.entries(s.readings).filter(([, v]) => v !== undefined));
    snapshot = buildSnapshot(s.symbol, s.bar, s.barsSeen, readings, s.failedMoons);
  }
  if (snapshot === undefined) {
    return { ok: false, issues: [{ path: 'bars', message: 'give exactly one of bars or snapshot' }] };
  }
  return {
    ok: true,
    input: {
      snapshot,
      mode: body.mode ?? ExecutionMode.LIGHT_REASONING,
      news: body.news,
      portfolio: body.portfolio,
    },
  };
}

/**
 * Runs one planet on one checked input and returns the analysis as plain JSON. Throws only what
 * `Planet.analyze` throws (a spent permit, an abort through `signal`, a bug).
 */
export async function runAnalysis(
  planet: Planet,
  input: AnalysisInput,
  opts: { allowance?: CallAllowance | undefined; signal?: AbortSignal | undefined } = {},
): Promise<PlanetAnalysis> {
  const report = await planet.analyze(input.snapshot, {
    mode: input.mode,
    ...(input.news === undefined ? {} : { news: input.news }),
    ...(input.portfolio === undefined ? {} : { portfolio: input.portfolio }),
    ...(opts.allowance === undefined ? {} : { allowance: opts.allowance }),
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
  });
  return {
    symbol: input.snapshot.symbol,
    barTime: input.snapshot.bar.time,
    barsSeen: input.snapshot.barsSeen,
    mode: input.mode,
    // A JSON round trip drops undefined fields and turns non-finite figures into null.
    report: JSON.parse(JSON.stringify(report)),
  };
}
