import { z } from 'zod';
import type { ControlCommandBody } from './command.ts';

const actor = z.object({ by: z.string(), reason: z.string(), since: z.number() });

/**
 * The operator's standing instructions for a run, as the loop applies them. Persisted with each step, so
 * a restarted run keeps them. `since` is the bar time at which each took effect.
 */
export const controlStateSchema = z.object({
  paused: actor.nullable(),
  blocked: z.record(z.string(), actor),
  forced: z.record(z.string(), actor.extend({ target: z.number() })),
  approval: actor.extend({ threshold: z.number(), expireBars: z.int() }).nullable(),
  /** Positions a `flatten` still has to close: their symbols had no bar since the command. */
  flattening: z.record(z.string(), actor),
});

/** See {@link controlStateSchema}. */
export type ControlState = z.output<typeof controlStateSchema>;

/** No instruction: the agents trade freely. */
export function emptyControlState(): ControlState {
  return { paused: null, blocked: {}, forced: {}, approval: null, flattening: {} };
}

/** What applying one command at a boundary did. */
export interface Applied {
  state: ControlState;
  /** In words, for the record. */
  note: string;
  /** The command could not apply (its approval was no longer pending): recorded as `void`. */
  void: boolean;
  /** An approval to trade now, or to drop. */
  decide?: { approval: string; verdict: 'approved' | 'rejected' };
}

/**
 * Applies one command to the state at the boundary of the step at bar time `time`. Pure.
 * `held` are the symbols with an open position (what `flatten` closes); `pending(id)` says whether an
 * approval is still waiting.
 */
export function applyCommand(
  state: ControlState,
  cmd: ControlCommandBody,
  ctx: { time: number; held: readonly string[]; pending: (approval: string) => boolean },
): Applied {
  const who = { by: cmd.by, reason: cmd.reason, since: ctx.time };
  const without = <V>(rec: Record<string, V>, key: string): Record<string, V> => {
    const { [key]: _, ...rest } = rec;
    return rest;
  };
  switch (cmd.kind) {
    case 'pause':
      return { state: { ...state, paused: state.paused ?? who }, note: 'paused', void: false };
    case 'resume':
      return {
        state: { ...state, paused: null },
        note: state.paused ? 'resumed' : 'was not paused',
        void: false,
      };
    case 'flatten': {
      const flattening = { ...state.flattening };
      for (const s of ctx.held) flattening[s] = who;
      const note = ctx.held.length === 0 ? 'no open position' : `closing ${ctx.held.join(', ')}`;
      return { state: { ...state, flattening }, note, void: false };
    }
    case 'block':
      return {
        state: { ...state, blocked: { ...state.blocked, [cmd.symbol]: who } },
        note: `${cmd.symbol} blocked`,
        void: false,
      };
    case 'unblock':
      return {
        state: { ...state, blocked: without(state.blocked, cmd.symbol) },
        note: cmd.symbol in state.blocked ? `${cmd.symbol} unblocked` : `${cmd.symbol} was not blocked`,
        void: false,
      };
    case 'force':
      return {
        // -0 is held as 0: the state is stored as JSON, which has no negative zero (a random seed found it).
        state: {
          ...state,
          forced: { ...state.forced, [cmd.symbol]: { ...who, target: cmd.target === 0 ? 0 : cmd.target } },
        },
        note: `${cmd.symbol} held at ${cmd.target} of equity`,
        void: false,
      };
    case 'unforce':
      return {
        state: { ...state, forced: without(state.forced, cmd.symbol) },
        note:
          cmd.symbol in state.forced ? `${cmd.symbol} back to the agents` : `${cmd.symbol} was not forced`,
        void: false,
      };
    case 'require-approval':
      return cmd.threshold === null
        ? { state: { ...state, approval: null }, note: 'approval mode off', void: false }
        : {
            state: {
              ...state,
              approval: {
                ...who,
                threshold: cmd.threshold === 0 ? 0 : cmd.threshold,
                expireBars: cmd.expireBars,
              },
            },
            note: `decisions above ${cmd.threshold} of equity wait for approval (${cmd.expireBars} bars)`,
            void: false,
          };
    case 'approve':
    case 'reject': {
      if (!ctx.pending(cmd.approval))
        return { state, note: `${cmd.approval} was no longer pending`, void: true };
      const verdict = cmd.kind === 'approve' ? 'approved' : 'rejected';
      return {
        state,
        note: `${cmd.approval} ${verdict}`,
        void: false,
        decide: { approval: cmd.approval, verdict },
      };
    }
    default: {
      const never: never = cmd;
      throw new Error(`unknown control command ${JSON.stringify(never)}`);
    }
  }
}
