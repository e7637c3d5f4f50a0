import { invalidCommand } from '../errors.ts';
import type { RunRow } from '../ledger-db.ts';
import type { ControlCommandInput } from './command.ts';

/** The risk limits an operator command is checked against (the run's broker settings give the rest). */
export interface ControlLimits {
  /** `agents.risk.maxPositionFraction`: the largest position, fraction of equity. */
  readonly maxPositionFraction?: number | undefined;
  /** Clamp a `force` beyond the limits to them (saying so) instead of refusing it. */
  readonly clamp?: boolean | undefined;
}

/** The symbols a run trades, from what it was started with; undefined when the run does not say. */
export function runSymbols(run: RunRow): string[] | undefined {
  const meta = run.meta as { data?: { symbol?: unknown }[]; live?: { symbol?: unknown } };
  if (Array.isArray(meta.data)) {
    const s = meta.data.map((d) => d.symbol).filter((x): x is string => typeof x === 'string');
    return s.length > 0 ? s : undefined;
  }
  return typeof meta.live?.symbol === 'string' ? [meta.live.symbol] : undefined;
}

/**
 * Checks an operator command against the run before it is recorded: a symbol the run does not trade is
 * refused; a `force` target beyond the risk limits — `maxPositionFraction`, the broker's `maxLeverage`,
 * or short with shorting off — is refused, or with `clamp` held at the limit.
 *
 * @returns the command to record (the target clamped when asked) and a note saying what was changed.
 * @throws ControlError `ORRERY_CONTROL_INVALID` naming `symbol` or `target` and the limit.
 */
export function checkCommandForRun(
  input: ControlCommandInput,
  run: RunRow,
  limits: ControlLimits = {},
): { input: ControlCommandInput; note?: string | undefined } {
  if ('symbol' in input && typeof input.symbol === 'string') {
    const symbols = runSymbols(run);
    if (symbols !== undefined && !symbols.includes(input.symbol))
      throw invalidCommand(
        'symbol',
        `run ${run.id} does not trade ${JSON.stringify(input.symbol)} (it trades ${symbols.join(', ')})`,
      );
  }
  if (input.kind !== 'force' || typeof input.target !== 'number' || !Number.isFinite(input.target))
    return { input };
  const target = input.target;
  const bounds: { limit: number; key: string }[] = [
    { limit: run.settings.maxLeverage, key: 'broker.maxLeverage' },
  ];
  if (limits.maxPositionFraction !== undefined)
    bounds.push({ limit: limits.maxPositionFraction, key: 'agents.risk.maxPositionFraction' });
  const tightest = bounds.reduce((a, b) => (b.limit < a.limit ? b : a));
  const floor = run.settings.allowShort ? -tightest.limit : 0;
  if (target <= tightest.limit && target >= floor) return { input };
  const why =
    target < 0 && !run.settings.allowShort
      ? `shorting is off for run ${run.id} (broker.allowShort)`
      : `${Math.abs(target) * 100} % of equity is beyond ${tightest.key} = ${tightest.limit}`;
  if (!limits.clamp)
    throw invalidCommand(
      'target',
      `force ${input.symbol} ${target} refused: ${why}; give a target in [${floor}, ${tightest.limit}] or --clamp`,
    );
  const held = Math.min(tightest.limit, Math.max(floor, target));
  return {
    input: { ...input, target: held },
    note: `force ${input.symbol} ${target} clamped to ${held}: ${why}`,
  };
}
