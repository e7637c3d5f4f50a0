import {
  type LLMCaller,
  type PlanetAnalysis,
  PlanetTopic,
  type SolarSystemConfigInput,
} from '@orrery/agents';
import { Address, type Bus, type Delivery, type Json, type Message } from '@orrery/bus';
import { toIssues } from '../config/load.ts';
import { analyzeBodySchema } from './bodies/analyze.ts';
import { analysisInput, runAnalysis } from './planet-analysis.ts';
import type { PlanetCatalog } from './planet-catalog.ts';
import { invalidBody, ServeErrorCode } from './problem.ts';

/** How to host one planet on a bus. */
export interface PlanetServiceOptions {
  bus: Bus;
  /** The planet's name; it answers requests to `Address.planet(name)`. */
  name: string;
  /** Where the planet comes from. */
  planets: PlanetCatalog;
  /** Its LLM gateway (`null`: deterministic only). */
  gateway: LLMCaller | null;
  /** Moon settings used to turn raw bars into a snapshot. */
  moons?: SolarSystemConfigInput | undefined;
  /**
   * The budget chains a request may name in `chainId` (the in-process planets of `orrery serve`, whose
   * chains are opened over HTTP): the caller charging that chain, or `undefined` for no open chain.
   * Absent: a `chainId` is refused (a worker in another process cannot reach serve's chains).
   */
  chains?: ((chainId: string) => LLMCaller | undefined) | undefined;
  /** Analyses run at once (default 8); further requests wait in the subscription's mailbox. */
  concurrency?: number | undefined;
  /** Told about every analysis answered (for logs). */
  onAnalysis?: ((analysis: PlanetAnalysis) => void) | undefined;
  /** Told about every request refused or failed (code and message, for logs). */
  onFailure?: ((code: string, message: string) => void) | undefined;
}

/** A planet answering on the bus. */
export interface PlanetService {
  readonly address: `planet.${string}`;
  /** Analyses answered so far. */
  readonly answered: number;
  /** Stops taking requests and waits for the analyses in flight. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Hosts one planet on a bus (a `NatsBus` for a planet in its own process): requests to
 * `Address.planet(name)` with topic `analyze` are validated like `POST /planets/:name/analyze` and answered
 * with a `PlanetAnalysis`; a bad body answers an error envelope `ORRERY_HTTP_INVALID_BODY` naming the
 * path (the requester's promise rejects with the bus's `RemoteError`). Non-request messages are ignored.
 * @throws RangeError when the catalog does not host `name` or `concurrency` is not an integer ≥ 1;
 *   InvalidAddressError for a name that is not an address token.
 */
export function servePlanet(opts: PlanetServiceOptions): PlanetService {
  const address = Address.planet(opts.name);
  const planet = opts.planets.create(opts.name, opts.gateway);
  if (planet === undefined) {
    throw new RangeError(`no planet ${JSON.stringify(opts.name)} (known: ${opts.planets.names.join(', ')})`);
  }
  const limit = opts.concurrency ?? 8;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('concurrency must be an integer >= 1');
  const inflight = new Set<Promise<void>>();
  let answered = 0;
  const fail = (reply: (code: string, message: string) => void, code: string, message: string) => {
    opts.onFailure?.(code, message);
    reply(code, message);
  };

  const handle = async (message: Message, delivery: Delivery) => {
    if (message.type !== 'request' || !delivery.isRequest) return;
    const reply = (code: string, text: string) => delivery.fail(code, text);
    const { topic, body } = message.payload;
    if (topic === PlanetTopic.DESCRIBE) {
      delivery.reply({
        planet: planet.name,
        weight: planet.weight,
        moons: [...planet.moons],
        topics: Object.values(PlanetTopic),
      });
      return;
    }
    if (topic !== PlanetTopic.ANALYZE) {
      fail(
        reply,
        ServeErrorCode.UNKNOWN_TOPIC,
        `planet ${opts.name} answers ${Object.values(PlanetTopic).join(', ')}, not ${topic}`,
      );
      return;
    }
    const parsed = analyzeBodySchema.safeParse(body);
    if (!parsed.success) {
      fail(reply, ServeErrorCode.INVALID_BODY, invalidBody(toIssues(parsed.error.issues)).error.message);
      return;
    }
    let bound = planet;
    const chainId = parsed.data.chainId;
    if (chainId !== undefined) {
      if (opts.chains === undefined) {
        fail(reply, ServeErrorCode.INVALID_BODY, 'invalid body: chainId: budget chains exist over HTTP only');
        return;
      }
      const caller = opts.chains(chainId);
      // Only a name the catalog hosts reaches here, so `create` finds it.
      const charged = caller === undefined ? undefined : opts.planets.create(opts.name, caller);
      if (charged === undefined) {
        fail(reply, ServeErrorCode.UNKNOWN_CHAIN, `chainId: no open budget chain ${JSON.stringify(chainId)}`);
        return;
      }
      bound = charged;
    }
    const checked = analysisInput(parsed.data, opts.moons);
    if (!checked.ok) {
      fail(reply, ServeErrorCode.INVALID_BODY, invalidBody(checked.issues).error.message);
      return;
    }
    // Hold the mailbox while every slot is busy: that is the backpressure.
    while (inflight.size >= limit) await Promise.race(inflight);
    const work = runAnalysis(bound, checked.input).then(
      (analysis) => {
        answered += 1;
        delivery.reply(analysis as unknown as Json);
        opts.onAnalysis?.(analysis);
      },
      (err: unknown) =>
        fail(reply, ServeErrorCode.INTERNAL, `analysis failed: ${(err as Error).message ?? String(err)}`),
    );
    const tracked = work.finally(() => inflight.delete(tracked));
    inflight.add(tracked);
  };

  const unsubscribe = opts.bus.subscribe(address, handle, { broadcasts: false });
  let stopping: Promise<void> | undefined;
  return {
    address,
    get answered() {
      return answered;
    },
    stop() {
      stopping ??= (async () => {
        unsubscribe();
        await Promise.allSettled([...inflight]);
      })();
      return stopping;
    },
  };
}
