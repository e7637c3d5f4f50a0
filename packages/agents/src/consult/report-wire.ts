import type { JsonRecord, PlanetReport as PlanetReportMessage } from '@orrery/bus';
import { InvalidInputError } from '../errors.ts';
import type { PlanetReport } from '../planets/planet.ts';

/** A value as JSON: `undefined` object members dropped, every number kept as it is (`-0` included). */
function jsonOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(jsonOf);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = jsonOf(v);
  return out;
}

/**
 * A planet's report as the payload of a `planet.report` message: the headline figures in the catalogue's
 * fields (reasons cut to its limits) and the whole report in `data.report`.
 */
export function reportPayload(
  symbol: string,
  mode: string,
  report: PlanetReport,
): PlanetReportMessage['payload'] {
  return {
    symbol,
    signal: report.signal,
    confidence: report.confidence,
    reasons: report.reasons.slice(0, 64).map((r) => r.slice(0, 2000)),
    mode,
    data: { report: jsonOf(report) as JsonRecord },
  };
}

/**
 * The planet's report carried by a `planet.report` message (see {@link reportPayload}).
 * @throws InvalidInputError (`field` names the part) when the message does not carry a report of
 *   `planet` whose headline figures match the message's.
 */
export function reportOf(planet: string, message: PlanetReportMessage): PlanetReport {
  const r = message.payload.data?.report as Record<string, unknown> | undefined;
  const bad = (field: string, what: string): never => {
    throw new InvalidInputError(`${message.sender}'s report: ${what}`, { field: `planet.report.${field}` });
  };
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return bad('data.report', 'no report object');
  if (r.planet !== planet)
    return bad('data.report.planet', `reports for '${String(r.planet)}', not '${planet}'`);
  if (r.signal !== message.payload.signal || r.confidence !== message.payload.confidence) {
    return bad('data.report.signal', 'signal or confidence differ from the message');
  }
  if (!['ok', 'failed', 'timeout', 'stopped'].includes(r.status as string))
    return bad('data.report.status', 'bad status');
  if (r.source !== 'deterministic' && r.source !== 'llm') return bad('data.report.source', 'bad source');
  if (typeof r.weight !== 'number' || !(r.weight >= 0)) return bad('data.report.weight', 'bad weight');
  if (!Array.isArray(r.reasons) || r.reasons.some((x) => typeof x !== 'string')) {
    return bad('data.report.reasons', 'reasons must be strings');
  }
  return r as unknown as PlanetReport;
}
