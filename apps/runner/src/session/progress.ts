import { formatTime } from '@orrery/feeds';
import cliProgress from 'cli-progress';

/** Progress of a run on stderr. */
export interface Progress {
  /** One step done: the bar time, whether it was a warm-up replay, the equity, the step's modes. */
  tick(info: { time: number; warm: boolean; equity: number; modes: readonly string[] }): void;
  stop(): void;
}

/**
 * A progress bar (cli-progress) on `stream` when it is a terminal and progress is wanted; otherwise a
 * no-op, so logs and pipes stay clean.
 */
export function createProgress(opts: {
  total: number;
  enabled: boolean;
  stream: NodeJS.WritableStream;
}): Progress {
  if (!opts.enabled) return { tick: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: opts.stream,
      format:
        ' {bar} {percentage}% | {value}/{total} bars | {date} | equity {equity} | {mode} | eta {eta_formatted}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 200,
    },
    cliProgress.Presets.shades_classic,
  );
  let n = 0;
  return {
    tick: ({ time, warm, equity, modes }) => {
      // Started on the first step, so notices printed while the system is assembled stay above the bar.
      if (n === 0) bar.start(opts.total, 0, { date: '', equity: '', mode: '' });
      n++;
      bar.update(n, {
        date: formatTime(time),
        equity: equity.toFixed(2),
        mode: warm ? 'warming up' : (modes[0] ?? ''),
      });
    },
    stop: () => {
      if (n > 0) bar.stop();
    },
  };
}
