import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DelegationResult } from '@orrery/core';

/** One line of the delegation log (`delegation.logFile`). Prompts and answers are not logged, only sizes. */
export interface DelegationLogLine {
  /** ISO 8601 time the delegation ended. */
  at: string;
  task: string;
  provider: string;
  model: string;
  success: boolean;
  error?: { code: string; message: string } | undefined;
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
  tokensPerSec: number;
  costUsd: number;
  /** Every model tried: provider, model, whether it was called, its error. */
  attempts: DelegationResult['attempts'];
  promptChars: number;
  answerChars: number;
}

/** Appends one JSON line per delegation to a file (created with its folder on first use). */
export class DelegationLog {
  readonly path: string;
  #ready = false;

  constructor(path: string) {
    this.path = path;
  }

  /** Appends the result's line. Throws the file system's error when the file cannot be written. */
  append(result: DelegationResult, prompt: string, now: Date = new Date()): void {
    if (!this.#ready) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.#ready = true;
    }
    const line: DelegationLogLine = {
      at: now.toISOString(),
      task: result.task,
      provider: result.provider,
      model: result.model,
      success: result.success,
      ...(result.error === undefined ? {} : { error: result.error }),
      latencyMs: result.latencyMs,
      tokensIn: result.tokensIn,
      tokensOut: result.tokensOut,
      tokensPerSec: result.tokensPerSec,
      costUsd: result.costUsd,
      attempts: result.attempts,
      promptChars: prompt.length,
      answerChars: result.text.length,
    };
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
  }
}
