import type { Command } from 'commander';
import { runIdFlag } from '../runs/run-id.ts';
import type { CliIO } from './io.ts';

/** The flags every `orrery runs` subcommand takes (on `runs` itself). */
export interface RunsFlags {
  config?: string;
  ledger?: string;
  json?: boolean;
}

/**
 * Registers `orrery runs list|show|rm`: what is under `.orrery` per run — its ledger rows, report, memory
 * and Chroma folders, with sizes — and removing runs (refused while a process runs them).
 */
export function registerRunsCommand(program: Command, io: CliIO): void {
  const runs = program
    .command('runs')
    .description(
      'list, show and remove runs: their ledger rows, reports, memory and Chroma folders, with sizes',
    )
    .option('-c, --config <file>', 'YAML configuration (default: ./orrery.yaml when present)')
    .option('--ledger <file>', 'run ledger SQLite file (default: run.ledgerPath)')
    .option('--json', 'print JSON');

  runs
    .command('list')
    .description('every run, newest first: status, last bar, ledger rows and size on disk')
    .action(async (_o: unknown, cmd: Command) => {
      (await import('./actions/runs.ts')).runsList(cmd, io);
    });

  runs
    .command('show')
    .argument('<run>', 'run id', runIdFlag)
    .description('one run: status, dates, ledger rows and its files with sizes')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      (await import('./actions/runs.ts')).runsShow(id, cmd, io);
    });

  runs
    .command('rm')
    .argument('<runs...>', 'run ids')
    .description(
      'remove runs: their ledger rows, LLM recordings, answer-cache entries, learning rows, report, ' +
        'memory and Chroma folders (refused while a process runs one)',
    )
    .action(async (ids: string[], _o: unknown, cmd: Command) => {
      (await import('./actions/runs.ts')).runsRm(ids, cmd, io);
    });
}
