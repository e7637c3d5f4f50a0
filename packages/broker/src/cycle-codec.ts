/**
 * How a cycle record is stored in the ledger's `cycles.record`. Version 2 (`"$v": 2` in the stored JSON)
 * leaves out what the row's columns already say (`symbol`, `time`, `mode`, the decisions' `symbol`), the
 * cycle's wall-clock stage timings (`stagesMs`: no audit or report reads them, and no run reproduces
 * them) and its empty lists, all restored when read. A record without the version (rows written before
 * it, or one not shaped like the agents' `CycleRecord`) is the whole record as JSON. Both read back as
 * the record the loop stored, but for `stagesMs`.
 */
export const CYCLE_FORMAT = 2;

const VERSION = '$v';
/** Lists every agents' cycle record has; version 2 leaves them out when empty. */
const LISTS = ['criticalUpdates', 'changedFeatures', 'clamps', 'failedMoons', 'faults'] as const;

type Loose = Record<string, unknown>;
interface RowKey {
  readonly symbol: string;
  readonly time: number;
  readonly mode: string;
}

const isObject = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const ofSymbol = (v: unknown, symbol: string): v is Loose => isObject(v) && v.symbol === symbol;

/** Whether `record` is an agents' cycle record of this row, which version 2 can restore exactly. */
function restorable(record: unknown, row: RowKey): record is Loose {
  return (
    isObject(record) &&
    record[VERSION] === undefined &&
    record.symbol === row.symbol &&
    record.time === row.time &&
    record.mode === row.mode &&
    ofSymbol(record.decision, row.symbol) &&
    (record.consensusDecision === undefined || ofSymbol(record.consensusDecision, row.symbol)) &&
    LISTS.every((k) => Array.isArray(record[k]))
  );
}

/** Keys version 2 leaves out: the row's columns and the wall-clock stage timings. */
const OMITTED = new Set(['symbol', 'time', 'mode', 'stagesMs']);
const EMPTY_OMITTED = new Set<string>(LISTS);

/** `o` without its `symbol`, keys in their order. */
function withoutSymbol(o: Loose): Loose {
  const out: Loose = {};
  for (const k of Object.keys(o)) if (k !== 'symbol') define(out, k, o[k]);
  return out;
}

/** Sets `out[k]` as a spread would (a key `__proto__` stays a key). */
function define(out: Loose, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(out, k, { value: v, writable: true, enumerable: true, configurable: true });
  else out[k] = v;
}

/**
 * The stored text of `record`, the cycle of `row`: one pass over its keys, in their order, building
 * the version-2 object without intermediate copies.
 */
export function encodeCycle(record: unknown, row: RowKey): string {
  if (!restorable(record, row)) return JSON.stringify(record);
  const out: Loose = { [VERSION]: CYCLE_FORMAT };
  for (const k of Object.keys(record)) {
    if (OMITTED.has(k)) continue;
    const v = record[k];
    if (EMPTY_OMITTED.has(k) && (v as unknown[]).length === 0) continue;
    if (k === 'decision' || (k === 'consensusDecision' && isObject(v)))
      define(out, k, withoutSymbol(v as Loose));
    else define(out, k, v);
  }
  return JSON.stringify(out);
}

/** The record a row stores, whatever the version it was written in. */
export function decodeCycle(text: string, row: RowKey): unknown {
  const parsed = JSON.parse(text) as unknown;
  if (!isObject(parsed) || parsed[VERSION] !== CYCLE_FORMAT) return parsed;
  const { [VERSION]: _, ...rest } = parsed;
  const record: Loose = { symbol: row.symbol, time: row.time, mode: row.mode, ...rest };
  for (const k of LISTS) if (record[k] === undefined) record[k] = [];
  record.decision = { symbol: row.symbol, ...(rest.decision as Loose) };
  if (isObject(rest.consensusDecision))
    record.consensusDecision = { symbol: row.symbol, ...rest.consensusDecision };
  return record;
}
