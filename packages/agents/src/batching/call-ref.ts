/**
 * What an LLM request was made for: the cycle (bar time and symbol — several for a batched call), the
 * agent that asked and the number of its call in that cycle. Sent as the request's `ref`, so the gateway's
 * ledger row of every call can be traced back to the cycle records it served.
 */
export interface CallRef {
  /** The cycle's bar time, epoch ms. */
  time: number;
  /** The symbols whose cycles the call served: one, or several for a batched call. */
  symbols: readonly string[];
  /** Who asked: `planet:technical`, `sun`, `backup-sun`, `critic`… */
  agent: string;
  /** The agent's call number in that cycle, from 1. */
  seq: number;
}

/** The `ref` string of a call: a JSON array `[time, agent, seq, ...symbols]` (symbols may hold any character). */
export function formatCallRef(ref: CallRef): string {
  return JSON.stringify([ref.time, ref.agent, ref.seq, ...ref.symbols]);
}

/** Reads a `ref` written by {@link formatCallRef}; undefined for anything else (refs of other callers). */
export function parseCallRef(text: string | undefined): CallRef | undefined {
  if (text === undefined || !text.startsWith('[')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length < 4) return undefined;
  const [time, agent, seq, ...symbols] = v as unknown[];
  if (typeof time !== 'number' || typeof agent !== 'string' || typeof seq !== 'number') return undefined;
  if (!symbols.every((s): s is string => typeof s === 'string')) return undefined;
  return { time, agent, seq, symbols };
}
