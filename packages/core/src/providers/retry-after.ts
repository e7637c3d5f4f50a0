/**
 * Reads an HTTP `Retry-After` header — delay-seconds (`"30"`) or an HTTP date — as milliseconds from
 * `nowMs`. Returns `undefined` when absent or unreadable; a date in the past gives 0.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * The wait a 429 asks for, as the official SDKs read it: `retry-after-ms` (milliseconds) first, then
 * `Retry-After`. `undefined` when neither is readable. Not capped here (the cooldown caps it).
 */
export function retryAfterFromHeaders(
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): number | undefined {
  const ms = headers['retry-after-ms'];
  const rawMs = (Array.isArray(ms) ? ms[0] : ms)?.trim();
  if (rawMs !== undefined && /^\d+(\.\d+)?$/.test(rawMs)) return Math.round(Number(rawMs));
  return parseRetryAfter(headers['retry-after'], nowMs);
}
