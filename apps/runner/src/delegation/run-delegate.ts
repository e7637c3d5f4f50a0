import type { DelegationResult, FallbackOptions, Gateway, ModelTarget } from '@orrery/core';
import { delegateWithFallback } from '@orrery/core';
import type { CliIO } from '../commands/io.ts';
import { RunnerError, RunnerErrorCode } from '../errors.ts';
import type { BatchItem } from './batch-file.ts';
import { createBatchProgress } from './batch-progress.ts';
import { failCommand } from './fail.ts';
import type { DelegationSetup } from './load.ts';
import { runPool } from './pool.ts';
import { DelegationLog } from './usage-log.ts';

/** What `orrery delegate` was asked, parsed. */
export interface DelegateRequest {
  /** The prompt (single mode), or the batch's items. */
  input: { prompt: string; task: string } | { batch: BatchItem[] };
  json: boolean;
  concurrency?: number | undefined;
  chain?: ModelTarget[] | undefined;
  system?: string | undefined;
  maxTokens?: number | undefined;
  timeoutMs?: number | undefined;
}

/**
 * Runs one delegation or a batch on `gateway` and prints the results: the answer (or, with `json`, the
 * whole result) for one prompt; one JSON line per prompt, in input order, for a batch (with a progress bar
 * on `progressStream` when `io.isTTY`). Appends each result to `delegation.logFile` when configured.
 *
 * @throws RunnerError `ORRERY_USAGE` for an unknown task or a chain naming an unknown provider (before any
 *   call); a `CommanderError` (exit code 1) when a delegation failed, after printing it.
 */
export async function runDelegate(
  req: DelegateRequest,
  setup: DelegationSetup,
  gateway: Gateway,
  io: CliIO,
  progressStream: NodeJS.WritableStream,
): Promise<void> {
  checkRequest(req, setup, gateway);
  const { delegation } = setup;
  const log = delegation.logFile === undefined ? undefined : new DelegationLog(delegation.logFile);
  const run: Delegate = async (prompt, task) => {
    const options: FallbackOptions = {
      task,
      settings: delegation.tasks[task],
      chain: req.chain,
      system: req.system,
      maxTokens: req.maxTokens,
      timeoutMs: req.timeoutMs,
      signal: io.signal,
    };
    const result = await delegateWithFallback(gateway, prompt, options);
    log?.append(result, prompt);
    return result;
  };
  if ('batch' in req.input) {
    const concurrency = req.concurrency ?? delegation.concurrency;
    await runBatch(req.input.batch, concurrency, run, io, progressStream);
  } else await runOne(req.input, req.json, run, io);
}

/** One delegation with the request's options, appended to the log when there is one. */
type Delegate = (prompt: string, task: string) => Promise<DelegationResult>;

/** Refuses, before any call, a task `delegation.tasks` does not name or a chain naming an unknown provider. */
function checkRequest(req: DelegateRequest, setup: DelegationSetup, gateway: Gateway): void {
  const { delegation } = setup;
  const tasks = 'batch' in req.input ? req.input.batch.map((b) => b.task) : [req.input.task];
  for (const t of new Set(tasks)) {
    if (!Object.hasOwn(delegation.tasks, t))
      throw new RunnerError(
        RunnerErrorCode.USAGE,
        `unknown task "${t}" (known: ${Object.keys(delegation.tasks).join(', ')}; add one under delegation.tasks)`,
      );
  }
  for (const c of req.chain ?? []) {
    if (!Object.hasOwn(gateway.config.providers, c.provider))
      throw new RunnerError(
        RunnerErrorCode.USAGE,
        `--chain: unknown provider "${c.provider}" (configured: ${Object.keys(gateway.config.providers).join(', ')})`,
      );
  }
}

/** One prompt: its answer (or the whole result as JSON), then a failure or a note on the fallbacks. */
async function runOne(
  input: { prompt: string; task: string },
  json: boolean,
  run: Delegate,
  io: CliIO,
): Promise<void> {
  const result = await run(input.prompt, input.task);
  if (json) io.out(JSON.stringify(result, null, 2));
  else if (result.success) io.out(result.text);
  if (!result.success)
    failCommand(io, 'orrery.delegate.failed', `${result.error?.code}: ${result.error?.message}`);
  if (result.attempts.length > 1) {
    const failed = result.attempts.slice(0, -1).map((a) => `${a.provider}/${a.model} (${a.error?.code})`);
    io.err(`note: answered by ${result.provider}/${result.model} after ${failed.join(', ')}`);
  }
}

/** A batch: one JSON line per prompt in input order, a progress bar on a terminal, then what failed. */
async function runBatch(
  items: BatchItem[],
  concurrency: number,
  run: Delegate,
  io: CliIO,
  progressStream: NodeJS.WritableStream,
): Promise<void> {
  const progress = createBatchProgress({ total: items.length, enabled: io.isTTY, stream: progressStream });
  const lines = inOrder(io);
  let failures = 0;
  const results = await runPool(items, concurrency, (item) => run(item.prompt, item.task), {
    signal: io.signal,
    onDone: (result, i) => {
      const item = items[i] as BatchItem;
      if (!result.success) failures += 1;
      progress.tick(result.success);
      lines.ready(
        i,
        JSON.stringify({ line: item.line, ...(item.id === undefined ? {} : { id: item.id }), ...result }),
      );
    },
  });
  progress.stop();
  lines.rest();
  const skipped = results.filter((r) => r === undefined).length;
  if (skipped > 0)
    failCommand(
      io,
      'orrery.delegate.interrupted',
      `interrupted: ${skipped} of ${items.length} prompts not run`,
    );
  if (failures > 0)
    failCommand(
      io,
      'orrery.delegate.failed',
      `${failures} of ${items.length} delegations failed (see "error" in their lines)`,
    );
}

/**
 * Prints lines in input order, each as soon as it and every one before it are done; `rest` prints what
 * is left (after an interruption: the done lines past a gap), in order.
 */
function inOrder(io: CliIO): { ready(i: number, line: string): void; rest(): void } {
  const ready = new Map<number, string>();
  let printed = 0;
  return {
    ready(i, line) {
      ready.set(i, line);
      for (let next = ready.get(printed); next !== undefined; next = ready.get(printed)) {
        io.out(next);
        ready.delete(printed);
        printed += 1;
      }
    },
    rest() {
      for (const line of [...ready.entries()].sort((a, b) => a[0] - b[0])) io.out(line[1]);
    },
  };
}
