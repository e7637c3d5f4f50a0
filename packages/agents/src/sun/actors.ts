import type { ExecutionMode } from '@orrery/core';
import { fromCallback, fromTransition } from 'xstate';
import type { CallAllowance } from '../call-allowance.ts';
import { PlanetTimeoutError } from '../errors.ts';
import type { PortfolioView } from '../market.ts';
import type { Moon, MoonFactory, MoonInput } from '../moons/moon.ts';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import type { Planet, PlanetReport } from '../planets/planet.ts';

/** What a moon actor accepts: a bar to compute, or an anchor after a reasoned decision. */
export type MoonCommand = { type: 'BAR'; input: MoonInput } | { type: 'ANCHOR' };

/** A moon actor's state: its calculator and its last reading. */
export interface MoonActorState {
  moon: Moon;
  reading: unknown;
}

/**
 * A moon as a child actor. Its state is built fresh from the factory when it starts, so a supervised
 * restart is a new calculator (it warms up again). A throw in `update` puts the actor in error, which
 * XState reports to the sun as `xstate.error.actor.<id>`.
 */
export const moonActor = fromTransition(
  (state: MoonActorState, event: MoonCommand): MoonActorState => {
    if (event.type === 'BAR') return { moon: state.moon, reading: state.moon.update(event.input) };
    state.moon.anchor?.();
    return state;
  },
  ({ input }: { input: { create: MoonFactory } }): MoonActorState => ({
    moon: input.create(),
    reading: undefined,
  }),
);

/** The sun's request to a planet actor for one cycle. */
export interface AnalyzeCommand {
  type: 'ANALYZE';
  cycleId: number;
  snapshot: MoonSnapshot;
  mode: ExecutionMode;
  allowance?: CallAllowance | undefined;
  news?: readonly string[] | undefined;
  portfolio?: PortfolioView | undefined;
  timeoutMs: number;
}

/** What a planet actor sends back to the sun. */
export type PlanetEvent =
  | { type: 'PLANET.REPORT'; cycleId: number; planet: string; report: PlanetReport }
  | { type: 'PLANET.FAILED'; cycleId: number; planet: string; error: unknown; timedOut: boolean };

/**
 * A planet as a child actor: on `ANALYZE` it runs `planet.analyze` with the cycle's permit and an
 * abort signal, racing its time limit; it reports `PLANET.REPORT` or `PLANET.FAILED` (timed out, or the
 * planet threw). A planet that ignores the abort still loses the race. Stopping the actor aborts
 * whatever it is doing.
 */
export const planetActor = fromCallback<AnalyzeCommand, { planet: Planet }, PlanetEvent>(
  ({ input, receive, sendBack }) => {
    const { planet } = input;
    const inflight = new Set<AbortController>();
    receive((cmd) => {
      const ctrl = new AbortController();
      inflight.add(ctrl);
      const timer = setTimeout(
        () => ctrl.abort(new PlanetTimeoutError(planet.name, cmd.timeoutMs)),
        cmd.timeoutMs,
      );
      const aborted = new Promise<never>((_, reject) => {
        ctrl.signal.addEventListener('abort', () => reject(ctrl.signal.reason), { once: true });
      });
      Promise.race([
        planet.analyze(cmd.snapshot, {
          mode: cmd.mode,
          signal: ctrl.signal,
          ...(cmd.allowance === undefined ? {} : { allowance: cmd.allowance }),
          ...(cmd.news === undefined ? {} : { news: cmd.news }),
          ...(cmd.portfolio === undefined ? {} : { portfolio: cmd.portfolio }),
        }),
        aborted,
      ])
        .then(
          (report) => sendBack({ type: 'PLANET.REPORT', cycleId: cmd.cycleId, planet: planet.name, report }),
          (error: unknown) =>
            sendBack({
              type: 'PLANET.FAILED',
              cycleId: cmd.cycleId,
              planet: planet.name,
              error,
              timedOut: error instanceof PlanetTimeoutError,
            }),
        )
        .finally(() => {
          clearTimeout(timer);
          inflight.delete(ctrl);
          cmd.allowance?.release?.();
        });
    });
    return () => {
      for (const ctrl of inflight) ctrl.abort(new Error(`planet '${planet.name}' stopped`));
    };
  },
);
