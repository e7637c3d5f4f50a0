import cliProgress from 'cli-progress';

/** Progress of a batch of delegations. */
export interface BatchProgress {
  /** One delegation finished. */
  tick(success: boolean): void;
  stop(): void;
}

/**
 * A cli-progress bar on `stream` (stderr) when `enabled` (a terminal); otherwise a no-op, so pipes and
 * logs stay clean.
 */
export function createBatchProgress(opts: {
  total: number;
  enabled: boolean;
  stream: NodeJS.WritableStream;
}): BatchProgress {
  if (!opts.enabled) return { tick: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: opts.stream,
      format: ' {bar} {percentage}% | {value}/{total} delegations | {failed} failed | eta {eta_formatted}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let done = 0;
  let failed = 0;
  bar.start(opts.total, 0, { failed });
  return {
    tick: (success) => {
      done += 1;
      if (!success) failed += 1;
      bar.update(done, { failed });
    },
    stop: () => bar.stop(),
  };
}
