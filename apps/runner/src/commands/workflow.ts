import type { Command } from 'commander';
import type { CliIO } from './io.ts';

/** The flags both `orrery workflow` subcommands take. */
export interface WorkflowCommonFlags {
  config?: string;
  gatewayDb?: string;
}

/** `orrery workflow plan`'s flags. */
export interface WorkflowPlanFlags extends WorkflowCommonFlags {
  out?: string;
}

/** `orrery workflow run`'s flags. */
export interface WorkflowRunFlags extends WorkflowCommonFlags {
  runId?: string;
  resume?: boolean;
  mode: string;
  db?: string;
}

/**
 * Registers `orrery workflow plan "REQUEST" [--out FILE]` (one LLM call through the gateway → a
 * validated workflow, repaired once or rejected) and `orrery workflow run FILE` (the workflow engine,
 * its LLM calls through the gateway's budget and cooldowns, progress in SQLite: `--resume` continues a
 * run after a crash or `kill -9` without re-running the steps that finished).
 */
export function registerWorkflowCommand(program: Command, io: CliIO): void {
  const wf = program
    .command('workflow')
    .description('plan a workflow from a request with one LLM call, and run workflow files (resumable)');

  wf.command('plan')
    .description(
      'turn a request into a validated workflow file with one LLM call (repaired once, or rejected)',
    )
    .argument('<request>', 'what the workflow should do, in words')
    .option('--out <file>', 'write the workflow here (default: print it)')
    .option('-c, --config <file>', 'YAML configuration (default: ./orrery.yaml when present)')
    .option('--gateway-db <file>', 'gateway SQLite file (default: run.gatewayDbPath)')
    .action(async (request: string, flags: WorkflowPlanFlags) => {
      await (await import('./actions/workflow.ts')).workflowPlan(request, flags, io);
    });

  wf.command('run')
    .description('run a workflow file with the workflow engine; --resume continues a stopped or killed run')
    .argument('<file>', 'the workflow (JSON, e.g. from orrery workflow plan --out)')
    .option(
      '--run-id <id>',
      "the run's id in the progress database (default: the workflow's id and the time)",
    )
    .option('--resume', 'continue the run --run-id: finished steps keep their outputs, the rest run')
    .option(
      '--mode <mode>',
      'STRICT | ADAPTIVE | CREATIVE (which inference hooks may call the LLM)',
      'STRICT',
    )
    .option('--db <file>', 'progress database (default: workflows.db beside run.ledgerPath)')
    .option('-c, --config <file>', 'YAML configuration (default: ./orrery.yaml when present)')
    .option('--gateway-db <file>', 'gateway SQLite file (default: run.gatewayDbPath)')
    .action(async (file: string, flags: WorkflowRunFlags) => {
      await (await import('./actions/workflow.ts')).workflowRun(file, flags, io);
    });
}
