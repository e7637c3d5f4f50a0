import { createReplayGateway, type Gateway, RecordingStore, recordingMiddleware } from '@orrery/core';
import type { LoadedConfig } from '../config/load.ts';
import { RunnerError, RunnerErrorCode } from '../errors.ts';
import { gatewayDbPath, openGateway } from './open-gateway.ts';

/** How `orrery serve` answers: live, live and recorded (`--record`), or from a recording (`--replay`). */
export interface ServeSessionFlags {
  gatewayDb?: string | undefined;
  record?: string | undefined;
  replay?: string | undefined;
}

/** The gateway of a serve process and what closes it (its recording store included). */
export interface ServeGateway {
  gateway: Gateway;
  /** What the process says about it at start-up (`undefined`: a plain live gateway). */
  describe: string | undefined;
  close(): Promise<void>;
}

/**
 * The gateway `orrery serve` answers with. `--record S`: the live gateway, every answer (and refusal)
 * recorded redacted under session `S` in the gateway file, in the order requests arrive — a session
 * recorded again is continued. `--replay S`: an offline gateway that answers the n-th request of a given
 * normalised prompt with the n-th answer recorded for it, spends nothing and calls no provider; a request
 * not recorded fails with `ORRERY_LLM_RECORDING_MISSING` (503). Throws a usage error for both flags at
 * once, an in-memory gateway file, or a session with no recordings.
 */
export function openServeGateway(loaded: LoadedConfig, flags: ServeSessionFlags, cwd: string): ServeGateway {
  const session = flags.record ?? flags.replay;
  if (session === undefined) {
    const gateway = openGateway(loaded, flags.gatewayDb, cwd);
    return { gateway, describe: undefined, close: () => gateway.close() };
  }
  if (flags.record !== undefined && flags.replay !== undefined) {
    throw new RunnerError(RunnerErrorCode.USAGE, '--record and --replay exclude each other; choose one');
  }
  const dbPath = gatewayDbPath(loaded, flags.gatewayDb, cwd);
  const flag = flags.record !== undefined ? '--record' : '--replay';
  if (dbPath === ':memory:') {
    throw new RunnerError(RunnerErrorCode.USAGE, `${flag} needs a gateway file; drop --gateway-db :memory:`);
  }
  if (flags.replay !== undefined) return replaying(loaded, dbPath, flags.replay);
  const gateway = openGateway(loaded, flags.gatewayDb, cwd);
  const store = RecordingStore.open(dbPath);
  // On the gateway itself: what a client is answered is what is recorded (redacted by the config's keys).
  gateway.use(recordingMiddleware({ store, runId: session, config: loaded.gateway }));
  return {
    gateway,
    describe: `recording session ${session} in ${dbPath}`,
    close: async () => {
      await gateway.close();
      store.close();
    },
  };
}

function replaying(loaded: LoadedConfig, dbPath: string, session: string): ServeGateway {
  const store = RecordingStore.open(dbPath);
  if (store.run(session) === undefined) {
    store.close();
    throw new RunnerError(
      RunnerErrorCode.USAGE,
      `--replay ${session}: no recorded session ${session} in ${dbPath} (record one with orrery serve --record ${session})`,
    );
  }
  const gateway = createReplayGateway({ store, runId: session, config: loaded.gateway });
  return {
    gateway,
    describe: `replaying session ${session} from ${dbPath}: no provider is called`,
    close: async () => {
      await gateway.close();
      store.close();
    },
  };
}
