import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SolarSystemConfig } from '@orrery/agents';
import type { Gateway } from '@orrery/core';
import { type StepEvent, WorkflowEngine, WorkflowMode } from '@orrery/workflow';
import { workflowAgents } from './registry.ts';

/**
 * The workflow engine of `orrery workflow run` and `POST /workflows`: the runner's workflow agents, LLM
 * calls (the `summarise` agent, the inference hooks of ADAPTIVE/CREATIVE runs) through `gateway` — so
 * its rolling budget and cooldowns, shared with every process on the same gateway database, apply —
 * and progress in `dbPath` (SQLite, WAL; its folder is created), from which a killed run resumes.
 */
export function openWorkflowEngine(o: {
  readonly dbPath: string;
  readonly gateway: Gateway;
  readonly agents: SolarSystemConfig;
  readonly cwd: string;
  readonly mode?: WorkflowMode | undefined;
  readonly onEvent?: ((event: StepEvent) => void) | undefined;
}): WorkflowEngine {
  if (o.dbPath !== ':memory:') mkdirSync(dirname(o.dbPath), { recursive: true });
  return new WorkflowEngine({
    registry: workflowAgents({ agents: o.agents, cwd: o.cwd }),
    dbPath: o.dbPath,
    gateway: o.gateway,
    mode: o.mode ?? WorkflowMode.STRICT,
    ...(o.onEvent === undefined ? {} : { onEvent: o.onEvent }),
  });
}
