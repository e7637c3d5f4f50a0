import { LLMError, LLMErrorCode } from '../errors.ts';

/**
 * A replaying gateway was asked something the recorded run never asked (or asked fewer times): no
 * answer is invented and no provider is called. Code `ORRERY_LLM_RECORDING_MISSING`.
 */
export class LLMRecordingMissingError extends LLMError {
  /** The run whose recordings were searched. */
  readonly runId: string;
  /** The request's hash (see `requestHash`). */
  readonly hash: string;
  readonly task: string;

  constructor(message: string, opts: ErrorOptions & { runId: string; hash: string; task: string }) {
    super(LLMErrorCode.RECORDING_MISSING, message, opts);
    this.name = 'LLMRecordingMissingError';
    this.runId = opts.runId;
    this.hash = opts.hash;
    this.task = opts.task;
  }
}
