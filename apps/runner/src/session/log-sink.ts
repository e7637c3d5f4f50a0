/** Where the agents' and memory's messages go during a run. */
export interface LogSink {
  /** Prints a message the first time it is seen; repeats are only counted. Muted while `muted`. */
  (message: string): void;
  /** Drops messages (during the replay of a resume). */
  muted: boolean;
  /** Messages not printed because they repeated. */
  readonly repeats: number;
}

/** A {@link LogSink} writing to `write`, each distinct message once. */
export function createLogSink(write: (line: string) => void): LogSink {
  const seen = new Set<string>();
  let repeats = 0;
  const sink = ((message: string) => {
    if (sink.muted) return;
    if (seen.has(message)) {
      repeats++;
      return;
    }
    seen.add(message);
    write(message);
  }) as LogSink;
  sink.muted = false;
  Object.defineProperty(sink, 'repeats', { get: () => repeats });
  return sink;
}
