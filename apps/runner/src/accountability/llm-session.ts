import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  createGateway,
  createReplayGateway,
  type Gateway,
  type GatewayConfig,
  RecordingStore,
  type Redact,
  type ReplayGateway,
  recordingMiddleware,
} from '@orrery/core';
import { RunnerError, RunnerErrorCode } from '../errors.ts';
import { probeLlm } from '../session/llm-reachability.ts';

/** The LLM side of a run: the gateway the agents call, and what the run records or replays. */
export interface LlmSession {
  /** What the agents call: the gateway with recording middleware, a replaying one, or null (no LLM). */
  readonly gateway: Gateway | null;
  /**
   * Answers for the bars a resumed run warms up on: the run's own recordings, so that the warm-up takes
   * the decisions the run took before it stopped. Null when there are none.
   */
  readonly warmAnswers: ReplayGateway | null;
  /** Set when replaying another run. */
  readonly replay: ReplayGateway | null;
  /** Why no LLM will be called, when none is reachable (or the replayed run had none). */
  readonly noLlmReason: string | undefined;
  /** Marks the recordings so far as belonging to the committed step at `time`. */
  checkpoint(time: number): void;
  /** Closes the gateway(s) and the recording store. */
  close(): Promise<void>;
}

/**
 * Opens the LLM side of run `runId`, with every answer recorded in `dbPath` (the gateway's database,
 * next to its ledger):
 * - `replayOf` set: a gateway that answers only from that run's recordings — no provider configured,
 *   no HTTP client, no cost (null when the recorded run had no LLM either);
 * - otherwise, when a provider is reachable, the real gateway with recording middleware: it records every answer
 *   under `runId`. Recordings of `runId` made after its last committed step (`resumeAfter`; undefined for
 *   a new run: all of them) are dropped first; a resumed run's remaining ones answer its warm-up.
 *
 * @throws RunnerError `ORRERY_USAGE` when `replayOf` has no recordings; LLMConfigError.
 */
export async function openLlmSession(o: {
  readonly gatewayConfig: GatewayConfig;
  readonly dbPath: string;
  readonly runId: string;
  readonly replayOf?: string | undefined;
  /** The last committed step of a resumed run; undefined for a new run. */
  readonly resumeAfter?: number | undefined;
  /** Removes secrets from what is recorded, cached and answered (default: core's, from the config's keys). */
  readonly redact?: Redact | undefined;
}): Promise<LlmSession> {
  const redact = o.redact;
  if (o.dbPath !== ':memory:') mkdirSync(dirname(o.dbPath), { recursive: true });
  const store = RecordingStore.open(o.dbPath);
  try {
    if (o.replayOf !== undefined) return replaySession(store, o.replayOf, o.gatewayConfig, redact);
    const reach = await probeLlm(o.gatewayConfig);
    store.rollback(o.runId, o.resumeAfter);
    if (!reach.reachable) {
      store.beginRun(o.runId, false, Date.now());
      return session(store, null, null, null, reach.reason, () => undefined);
    }
    const recorded = store.run(o.runId);
    const warmAnswers =
      o.resumeAfter !== undefined && recorded !== undefined && recorded.calls + recorded.probes > 0
        ? createReplayGateway({ store, runId: o.runId, config: o.gatewayConfig, redact })
        : null;
    const gateway = createGateway(o.gatewayConfig, { dbPath: o.dbPath, redact }).use(
      recordingMiddleware({ store, runId: o.runId, redact, config: o.gatewayConfig }),
    );
    return session(store, gateway, warmAnswers, null, undefined, (time) => store.checkpoint(o.runId, time));
  } catch (err) {
    store.close();
    throw err;
  }
}

function replaySession(
  store: RecordingStore,
  runId: string,
  config: GatewayConfig,
  redact: Redact | undefined,
): LlmSession {
  const run = store.run(runId);
  if (run === undefined) {
    throw new RunnerError(
      RunnerErrorCode.USAGE,
      `run ${runId} has no LLM recordings in this gateway database (run.gatewayDbPath); nothing to replay`,
    );
  }
  if (!run.live) {
    return session(store, null, null, null, `replayed run ${runId} had no reachable LLM`, () => undefined);
  }
  const replay = createReplayGateway({ store, runId, config, redact });
  return session(store, replay, null, replay, undefined, () => undefined);
}

function session(
  store: RecordingStore,
  gateway: Gateway | null,
  warmAnswers: ReplayGateway | null,
  replay: ReplayGateway | null,
  noLlmReason: string | undefined,
  checkpoint: (time: number) => void,
): LlmSession {
  return {
    gateway,
    warmAnswers,
    replay,
    noLlmReason,
    checkpoint,
    close: async () => {
      await warmAnswers?.close();
      await gateway?.close();
      store.close();
    },
  };
}
