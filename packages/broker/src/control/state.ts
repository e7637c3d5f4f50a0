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

/** Who issued a command, as the state keeps it: with the bar time it took effect at. */
type Actor = ControlState['blocked'][string];

/** What applying a command needs beyond the state: the boundary's bar time, held symbols, pending approvals. */
interface ApplyContext {
  time: number;
  held: readonly string[];
  pending: (approval: string) => boolean;
}

type Command<K extends ControlCommandBody['kind']> = Extract<ControlCommandBody, { kind: K }>;

/** One handler per command kind: the state and note it leaves. */
const APPLY: {
  [K in ControlCommandBody['kind']]: (
    state: ControlState,
    cmd: Command<K>,
    who: Actor,
    ctx: ApplyContext,
  ) => Applied;
} = {
  pause: (state, _cmd, who) => done({ ...state, paused: state.paused ?? who }, 'paused'),
  resume: (state) => done({ ...state, paused: null }, state.paused ? 'resumed' : 'was not paused'),
  flatten: (state, _cmd, who, ctx) => {
    const flattening = { ...state.flattening };
    for (const s of ctx.held) flattening[s] = who;
    const note = ctx.held.length === 0 ? 'no open position' : `closing ${ctx.held.join(', ')}`;
    return done({ ...state, flattening }, note);
  },
  block: (state, cmd, who) =>
    done({ ...state, blocked: { ...state.blocked, [cmd.symbol]: who } }, `${cmd.symbol} blocked`),
  unblock: (state, cmd) =>
    done(
      { ...state, blocked: without(state.blocked, cmd.symbol) },
      cmd.symbol in state.blocked ? `${cmd.symbol} unblocked` : `${cmd.symbol} was not blocked`,
    ),
  // -0 is held as 0: the state is stored as JSON, which has no negative zero (a random seed found it).
  force: (state, cmd, who) =>
    done(
      {
        ...state,
        forced: { ...state.forced, [cmd.symbol]: { ...who, target: cmd.target === 0 ? 0 : cmd.target } },
      },
      `${cmd.symbol} held at ${cmd.target} of equity`,
    ),
  unforce: (state, cmd) =>
    done(
      { ...state, forced: without(state.forced, cmd.symbol) },
      cmd.symbol in state.forced ? `${cmd.symbol} back to the agents` : `${cmd.symbol} was not forced`,
    ),
  'require-approval': (state, cmd, who) =>
    cmd.threshold === null
      ? done({ ...state, approval: null }, 'approval mode off')
      : done(
          {
            ...state,
            approval: {
              ...who,
              threshold: cmd.threshold === 0 ? 0 : cmd.threshold,
              expireBars: cmd.expireBars,
            },
          },
          `decisions above ${cmd.threshold} of equity wait for approval (${cmd.expireBars} bars)`,
        ),
  approve: (state, cmd, _who, ctx) => decide(state, cmd, ctx),
  reject: (state, cmd, _who, ctx) => decide(state, cmd, ctx),
};

/**
 * Applies one command to the state at the boundary of the step at bar time `time`. Pure.
 * `held` are the symbols with an open position (what `flatten` closes); `pending(id)` says whether an
 * approval is still waiting.
 */
export function applyCommand(state: ControlState, cmd: ControlCommandBody, ctx: ApplyContext): Applied {
  if (!Object.hasOwn(APPLY, cmd.kind)) throw new Error(`unknown control command ${JSON.stringify(cmd)}`);
  // The map is keyed by kind, so the handler fits the command; TypeScript cannot correlate the two.
  const apply = APPLY[cmd.kind] as (
    s: ControlState,
    c: ControlCommandBody,
    w: Actor,
    x: ApplyContext,
  ) => Applied;
  return apply(state, cmd, { by: cmd.by, reason: cmd.reason, since: ctx.time }, ctx);
}

function done(state: ControlState, note: string): Applied {
  return { state, note, void: false };
}

function without<V>(rec: Record<string, V>, key: string): Record<string, V> {
  const { [key]: _, ...rest } = rec;
  return rest;
}

/** `approve` / `reject`: decides the approval, or is void when it no longer waits. */
function decide(state: ControlState, cmd: Command<'approve' | 'reject'>, ctx: ApplyContext): Applied {
  if (!ctx.pending(cmd.approval)) return { state, note: `${cmd.approval} was no longer pending`, void: true };
  const verdict = cmd.kind === 'approve' ? 'approved' : 'rejected';
  return {
    state,
    note: `${cmd.approval} ${verdict}`,
    void: false,
    decide: { approval: cmd.approval, verdict },
  };
}
