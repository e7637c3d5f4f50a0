/** What a command may touch of the outside world; tests and embedders pass their own. */
export interface CliIO {
  /** Results (summaries, JSON). */
  readonly out: (text: string) => void;
  /** Progress, warnings and errors. */
  readonly err: (text: string) => void;
  readonly env: Record<string, string | undefined>;
  readonly cwd: string;
  /** stderr is a terminal (progress bars are drawn only then). */
  readonly isTTY: boolean;
  /** Aborted on SIGINT/SIGTERM: the loop stops after committing the step in progress. */
  readonly signal: AbortSignal;
}
