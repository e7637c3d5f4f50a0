import { Address, type Bus, type Delivery, type SunDirective, type Unsubscribe } from '@orrery/bus';
import { ExecutionMode } from '@orrery/core';
import type { Consult, ConsultDesk } from './desk.ts';
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
 */
export function hostPlanets(bus: Bus, names: readonly string[], desk: ConsultDesk): Unsubscribe {
  const subs = names.map((name) =>
    bus.subscribe(
      Address.planet(name),
      (message, delivery) => {
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
