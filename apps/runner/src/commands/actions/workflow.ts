import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { type Gateway, LLMError } from '@orrery/core';
import { planWorkflow, WorkflowError, WorkflowMode, type WorkflowResult } from '@orrery/workflow';
import { type LoadedConfig, loadConfig } from '../../config/load.ts';
import { RunnerError, RunnerErrorCode } from '../../errors.ts';
import { openGateway } from '../../serve/open-gateway.ts';
import { openWorkflowEngine } from '../../workflows/engine.ts';
import { workflowAgents } from '../../workflows/registry.ts';
import type { CliIO } from '../io.ts';
import type { WorkflowCommonFlags, WorkflowPlanFlags, WorkflowRunFlags } from '../workflow.ts';

/** Runs `orrery workflow plan REQUEST`: one LLM call → a validated workflow, printed or written. */
export async function workflowPlan(request: string, flags: WorkflowPlanFlags, io: CliIO): Promise<void> {
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
}

/** Runs `orrery workflow run FILE`: the workflow engine on the file, resumable. */
export async function workflowRun(file: string, flags: WorkflowRunFlags, io: CliIO): Promise<void> {
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
  flags: WorkflowCommonFlags,
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
