import { Address, type Bus, RequestTimeoutError } from '@orrery/bus';
import type { ExecutionMode } from '@orrery/core';
import { fromCallback } from 'xstate';
import type { CallAllowance } from '../call-allowance.ts';
import type { Consult, ConsultDesk } from '../consult/desk.ts';
import { ANALYSE } from '../consult/host.ts';
import type { MessageLog } from '../consult/message-log.ts';
import { reportOf } from '../consult/report-wire.ts';
import { PlanetTimeoutError } from '../errors.ts';
import type { PortfolioView } from '../market.ts';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import type { Planet, PlanetReport } from '../planets/planet.ts';

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
  /** Where the cycle counts the messages it exchanged. */
  log?: MessageLog | undefined;
}

/** What a planet actor is started with: the planet instance and how to reach its host. */
export interface PlanetActorInput {
  planet: Planet;
  symbol: string;
  bus: Bus;
  desk: ConsultDesk;
}

/** What a planet actor sends back to the sun. */
export type PlanetEvent =
  | { type: 'PLANET.REPORT'; cycleId: number; planet: string; report: PlanetReport }
  | { type: 'PLANET.FAILED'; cycleId: number; planet: string; error: unknown; timedOut: boolean };

/**
 * A planet as a child actor: the sun's side of its consults. On `ANALYZE` it files the consult on the
 * desk and sends a `sun.directive` to `planet.<name>` over the bus with the planet's time limit; the
 * planet's host runs `analyze` and answers with a `planet.report`. It reports `PLANET.REPORT` or
 * `PLANET.FAILED` (timed out — the planet's work is then aborted —, or the planet threw). A planet that
 * ignores the abort still loses the race. Stopping the actor aborts whatever it is doing.
 */
export const planetActor = fromCallback<AnalyzeCommand, PlanetActorInput, PlanetEvent>(
  ({ input, receive, sendBack }) => {
    const { planet, bus, desk, symbol } = input;
    const inflight = new Set<AbortController>();
    receive((cmd) => {
      const ctrl = new AbortController();
      inflight.add(ctrl);
      const consult: Consult = {
        planet,
        symbol,
        log: cmd.log,
        snapshot: cmd.snapshot,
        opts: {
          mode: cmd.mode,
          signal: ctrl.signal,
          ...(cmd.allowance === undefined ? {} : { allowance: cmd.allowance }),
          ...(cmd.news === undefined ? {} : { news: cmd.news }),
          ...(cmd.portfolio === undefined ? {} : { portfolio: cmd.portfolio }),
        },
      };
      const key = desk.put(consult, cmd.cycleId);
      cmd.log?.add('sun.directive', 'sun');
      bus
        .direct(
          Address.planet(planet.name),
          { task: ANALYSE, symbol, params: { consult: key, mode: cmd.mode, barTime: cmd.snapshot.bar.time } },
          { timeoutMs: cmd.timeoutMs, signal: ctrl.signal },
        )
        .then(
          (message) => {
            cmd.log?.add(message.type, message.sender);
            let report: PlanetReport;
            try {
              report = reportOf(planet.name, message);
            } catch (error) {
              sendBack({
                type: 'PLANET.FAILED',
                cycleId: cmd.cycleId,
                planet: planet.name,
                error,
                timedOut: false,
              });
              return;
            }
            sendBack({ type: 'PLANET.REPORT', cycleId: cmd.cycleId, planet: planet.name, report });
          },
          (err: unknown) => {
            let error = consult.error ?? err;
            if (consult.error !== undefined) cmd.log?.add('error', Address.planet(planet.name));
            if (err instanceof RequestTimeoutError) {
              error = new PlanetTimeoutError(planet.name, cmd.timeoutMs);
              ctrl.abort(error);
            }
            sendBack({
              type: 'PLANET.FAILED',
              cycleId: cmd.cycleId,
              planet: planet.name,
              error,
              timedOut: error instanceof PlanetTimeoutError,
            });
          },
        )
        .finally(() => {
          desk.drop(key);
          inflight.delete(ctrl);
          cmd.allowance?.release?.();
        });
    });
    return () => {
      for (const ctrl of inflight) ctrl.abort(new Error(`planet '${planet.name}' stopped`));
    };
  },
);
