import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Gateway, LLMError } from '@orrery/core';
import { planWorkflow, WorkflowError, WorkflowMode, type WorkflowResult } from '@orrery/workflow';
import type { Command } from 'commander';
import { type LoadedConfig, loadConfig } from '../config/load.ts';
import { RunnerError, RunnerErrorCode } from '../errors.ts';
import { openGateway } from '../serve/open-gateway.ts';
import { openWorkflowEngine } from '../workflows/engine.ts';
import { workflowAgents } from '../workflows/registry.ts';
import type { CliIO } from './io.ts';

interface CommonFlags {
  config?: string;
  gatewayDb?: string;
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
    .action(async (request: string, flags: CommonFlags & { out?: string }) => {
      const loaded = loadConfig({ file: flags.config, env: io.env, cwd: io.cwd });
      await withGateway(loaded, flags, io, async (gateway) => {
        const registry = workflowAgents({ agents: loaded.config.agents, cwd: io.cwd });
        const plan = await planWorkflow(gateway, request, registry, { signal: io.signal }).catch(rethrow);
        const text = `${JSON.stringify(plan.workflow, null, 2)}\n`;
        const how = plan.repaired ? 'after one repair' : 'first answer';
        const what = `workflow ${plan.workflow.id}: ${plan.workflow.steps.length} step(s), valid (${how})`;
        if (flags.out === undefined) {
          io.err(what);
          io.out(text.trimEnd());
          return;
        }
        const out = resolve(io.cwd, flags.out);
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(`${out}.tmp`, text);
        renameSync(`${out}.tmp`, out);
        io.out(`${what}; written to ${out}`);
        io.out(`run it with: orrery workflow run ${flags.out}`);
      });
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
    .action(
      async (
        file: string,
        flags: CommonFlags & { runId?: string; resume?: boolean; mode: string; db?: string },
      ) => {
        if (!(flags.mode in WorkflowMode))
          throw new RunnerError(RunnerErrorCode.USAGE, '--mode must be STRICT, ADAPTIVE or CREATIVE');
        if (flags.resume && flags.runId === undefined)
          throw new RunnerError(RunnerErrorCode.USAGE, '--resume needs --run-id (the run to continue)');
        const workflow = readWorkflowFile(resolve(io.cwd, file));
        const loaded = loadConfig({ file: flags.config, env: io.env, cwd: io.cwd });
        const dbPath =
          flags.db === undefined
            ? join(dirname(loaded.config.run.ledgerPath), 'workflows.db')
            : resolve(io.cwd, flags.db);
        await withGateway(loaded, flags, io, async (gateway) => {
          const engine = openWorkflowEngine({
            dbPath,
            gateway,
            agents: loaded.config.agents,
            cwd: io.cwd,
            mode: flags.mode as WorkflowMode,
            onEvent: (e) => {
              if (e.kind === 'end') io.err(`step ${e.stepId}: ${e.status ?? ''}`);
              if (e.kind === 'run_resume') io.err(`resuming run (finished steps are not run again)`);
            },
          });
          try {
            const id = flags.runId ?? `${idOf(workflow)}-${stamp()}`;
            if (!flags.resume) io.err(`workflow run ${id} (progress in ${dbPath})`);
            const result = await (flags.resume
              ? engine.resume(id, { signal: io.signal })
              : engine.run(workflow, { runId: id, signal: io.signal })
            ).catch(rethrow);
            report(result, io, flags.resume === true);
          } finally {
            await engine.close();
          }
        });
      },
    );
}

/** Prints the result (JSON on stdout) and throws when the run did not succeed. */
function report(result: WorkflowResult, io: CliIO, resumed: boolean): void {
  io.out(
    JSON.stringify(
      {
        runId: result.runId,
        status: result.status,
        outputs: result.outputs,
        steps: Object.fromEntries(
          Object.entries(result.steps).map(([id, s]) => [id, { status: s.status, attempts: s.attempts }]),
        ),
        ...(result.error === undefined ? {} : { error: result.error }),
      },
      null,
      2,
    ),
  );
  if (result.status === 'succeeded') return;
  const how =
    result.status === 'cancelled'
      ? `stopped; continue with: orrery workflow run FILE --resume --run-id ${result.runId}`
      : `failed${result.error === undefined ? '' : `: ${result.error.code}: ${result.error.message}`}`;
  throw new RunnerError(
    RunnerErrorCode.WORKFLOW,
    `workflow run ${result.runId} ${resumed ? '(resumed) ' : ''}${how}`,
  );
}

async function withGateway(
  loaded: LoadedConfig,
  flags: CommonFlags,
  io: CliIO,
  use: (gateway: Gateway) => Promise<void>,
): Promise<void> {
  const gateway = openGateway(loaded, flags.gatewayDb, io.cwd);
  try {
    await use(gateway);
  } finally {
    await gateway.close();
  }
}

function readWorkflowFile(path: string): unknown {
  if (!existsSync(path)) throw new RunnerError(RunnerErrorCode.USAGE, `no workflow file ${path}`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new RunnerError(RunnerErrorCode.USAGE, `${path} is not JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** The engine's, the planner's and the gateway's errors, as runner errors that lead with their stable code. */
function rethrow(err: unknown): never {
  if (err instanceof WorkflowError || err instanceof LLMError)
    throw new RunnerError(RunnerErrorCode.WORKFLOW, `${err.code}: ${err.message}`, { cause: err });
  throw err;
}

function idOf(workflow: unknown): string {
  const id = (workflow as { id?: unknown } | null)?.id;
  return typeof id === 'string' && /^[A-Za-z_][A-Za-z0-9_-]{0,40}$/.test(id) ? id : 'workflow';
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}
