import {
  Address,
  type Bus,
  createMessage,
  type Delivery,
  type Json,
  type SunDirective,
  type Unsubscribe,
} from '@orrery/bus';
import { ExecutionMode } from '@orrery/core';
import type { LateralBody } from '../planets/planet.ts';
import type { Consult, ConsultDesk, LateralBoard } from './desk.ts';
import { reportPayload } from './report-wire.ts';

/** The directive task a planet host answers. */
export const ANALYSE = 'analyse';

/** The code a host answers with when a planet failed; the sun supervises the original error. */
export const PLANET_FAILED = 'ORRERY_AGENTS_PLANET_FAILED';

/**
 * Hosts the planets named `names` of this process on the bus: one subscription per name at
 * `planet.<name>`, serving every symbol's instance. A `sun.directive` with task `analyse` names its
 * consult (`params.consult`) on the `desk`; the host runs that planet's `analyze` and answers with a
 * `planet.report`, or an `error` envelope when the planet threw. Consults run concurrently (the handler
 * returns at once), so a batch of symbols waiting on one shared LLM call is never serialised.
 *
 * A consulted planet may `tell` another planet something about its symbol: a `planet.lateral` (body
 * `{symbol, bar, body}`) that the bus also copies to the sun; the recipient's host files it on `board`, and the
 * recipient hears it (`heard`) in its first consult of that symbol on a later bar.
 */
export function hostPlanets(
  bus: Bus,
  names: readonly string[],
  desk: ConsultDesk,
  board: LateralBoard,
): Unsubscribe {
  const subs = names.map((name) =>
    bus.subscribe(
      Address.planet(name),
      (message, delivery) => {
        if (message.type === 'planet.lateral') {
          const b = message.payload.body as { symbol?: unknown; bar?: unknown; body?: Json } | null;
          if (
            typeof b === 'object' &&
            b !== null &&
            typeof b.symbol === 'string' &&
            typeof b.bar === 'number'
          ) {
            board.post(b.symbol, name, b.bar, {
              from: Address.nameOf(message.sender),
              topic: message.payload.topic,
              body: (b.body ?? null) as LateralBody,
            });
          }
          return;
        }
        if (message.type !== 'sun.directive' || !delivery.isRequest) return;
        const key = message.payload.params?.consult;
        const consult = typeof key === 'string' ? desk.get(key) : undefined;
        if (message.payload.task !== ANALYSE || consult === undefined) {
          delivery.fail(
            PLANET_FAILED,
            `planet.${name}: no consult ${String(key)} for task ${message.payload.task}`,
          );
          return;
        }
        const bar = consult.snapshot.bar.time;
        const heard = board.take(consult.symbol, name, bar);
        const tell = (to: string, topic: string, body: LateralBody): void => {
          bus.publish(
            createMessage('planet.lateral', {
              sender: Address.planet(name),
              recipient: Address.planet(to),
              payload: { topic, body: { symbol: consult.symbol, bar, body } as Json },
            }),
          );
          consult.log?.add('planet.lateral', Address.planet(name));
        };
        consult.opts = { ...consult.opts, tell, ...(heard.length > 0 ? { heard } : {}) };
        void serve(message, delivery, consult);
      },
      { broadcasts: false },
    ),
  );
  return () => {
    for (const unsubscribe of subs) unsubscribe();
  };
}

async function serve(directive: SunDirective, delivery: Delivery, consult: Consult): Promise<void> {
  const { planet, snapshot, opts } = consult;
  try {
    const report = await planet.analyze(snapshot, opts);
    delivery.report(reportPayload(consult.symbol, opts.mode ?? ExecutionMode.LIGHT_REASONING, report));
  } catch (err) {
    consult.error = err;
    if (opts.signal?.aborted === true) return; // the sun stopped waiting; nobody to answer
    const text = err instanceof Error ? err.message : String(err);
    delivery.fail(PLANET_FAILED, `${directive.recipient}: ${text}`);
  }
}
