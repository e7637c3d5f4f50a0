import type { ModelTarget } from '@orrery/core';
import type { Command } from 'commander';
import { parseChain, positiveInt } from '../delegation/cli-options.ts';
import type { CliIO } from './io.ts';

/** What `orrery delegate` reads besides its {@link CliIO} (the real process by default). */
export interface DelegateStreams {
  /** Where a piped prompt comes from. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Where the batch progress bar is drawn (when `io.isTTY`). */
  progress?: NodeJS.WritableStream;
}

/** `orrery delegate`'s flags, as commander parses them. */
export interface DelegateFlags {
  task?: string;
  json?: boolean;
  batch?: string;
  concurrency?: number;
  chain?: ModelTarget[];
  system?: string;
  maxTokens?: number;
  timeout?: number;
  config?: string;
}

/** Registers `orrery delegate`. */
export function registerDelegateCommand(program: Command, io: CliIO, streams: DelegateStreams = {}): void {
  program
    .command('delegate')
    .description(
      'send a prompt to the models a task type routes to (gateway.routing.rules.<task>), falling back down the chain',
    )
    .argument(
      '[prompt...]',
      'the prompt; when absent, read from stdin (e.g. git diff | orrery delegate --task review)',
    )
    .option(
      '-t, --task <name>',
      'task type: quick, coding, analysis, translation, creative, review, summarise, heavy, or one configured under delegation.tasks (default: delegation.defaultTask)',
    )
    .option(
      '--json',
      'print the whole result as JSON (text, provider, model, latencyMs, tokens, tokensPerSec, success, error, attempts)',
    )
    .option(
      '--batch <file>',
      'run every prompt of FILE (one per line, or JSONL {"prompt","task"?,"id"?}); prints one JSON line per prompt',
    )
    .option(
      '--concurrency <n>',
      'batch delegations in flight at once (default: delegation.concurrency)',
      positiveInt,
    )
    .option(
      '--chain <pairs>',
      'models to try, in order, instead of the routing: provider/model[,provider/model…]',
      parseChain,
    )
    .option('--system <text>', "system prompt instead of the task's")
    .option('--max-tokens <n>', "answer token cap instead of the task's", positiveInt)
    .option('--timeout <ms>', "time limit of each call instead of the task's", positiveInt)
    .option('-c, --config <file>', 'YAML configuration file (default: ./orrery.yaml when present)')
    .action(async (words: string[], flags: DelegateFlags) => {
      await (await import('./actions/delegate.ts')).delegate(words, flags, io, streams);
    });
}
