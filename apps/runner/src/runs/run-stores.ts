import { existsSync } from 'node:fs';
import { forgetLearning } from '@orrery/agents';
import { RecordingStore } from '@orrery/core';
import { experimentId } from '../accountability/learning-session.ts';
import type { OrreryConfig } from '../config/schema.ts';
import { sqliteFailure } from './open-ledger.ts';

/** What `orrery runs rm` removed of a run from the databases runs share besides the ledger. */
export interface RemovedRunRows {
  /** LLM recordings (calls and probes) in the gateway's database (`run.gatewayDbPath`). */
  readonly recordings: number;
  /** Gateway cache entries the run's answer caches owned (keyed by the run's own cache scope). */
  readonly cacheEntries: number;
  /** Learner and prompt-experiment rows in `learning.dbPath`. */
  readonly learningRows: number;
}

/**
 * Removes run `runId` from the shared databases of `config`: its LLM recordings and checkpoints and the
 * gateway cache entries it owned (`run.gatewayDbPath`), and what its learning loop and prompt
 * experiments stored (`learning.dbPath`). Other runs' rows are not touched; a file that does not exist
 * holds nothing. The run's memory episodes live in its own folder (`memory.dbPath` with `{runId}`),
 * removed with its files; a memory file shared by several runs is not keyed by run and is kept.
 *
 * @throws StoreError `ORRERY_DB_BUSY` / `ORRERY_DB` naming the file that could not be changed.
 */
export function removeRunRows(config: OrreryConfig, runId: string): RemovedRunRows {
  let recordings = 0;
  let cacheEntries = 0;
  let learningRows = 0;
  const gatewayDb = config.run.gatewayDbPath;
  if (gatewayDb !== ':memory:' && existsSync(gatewayDb)) {
    try {
      const store = RecordingStore.open(gatewayDb);
      try {
        ({ recordings, cacheEntries } = store.removeRun(runId));
      } finally {
        store.close();
      }
    } catch (err) {
      throw sqliteFailure(err, gatewayDb) ?? err;
    }
  }
  if (config.learning !== false && existsSync(config.learning.dbPath)) {
    const path = config.learning.dbPath;
    try {
      const removed = forgetLearning(path, { scope: runId, promptPrefix: experimentId(runId, '') });
      learningRows = removed.learning + removed.prompts;
    } catch (err) {
      throw sqliteFailure(err, path) ?? err;
    }
  }
  return { recordings, cacheEntries, learningRows };
}
