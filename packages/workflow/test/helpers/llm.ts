import { createGateway, type Gateway, type GatewayConfigInput, ManualClock } from '@orrery/core';
import { type LlmRecordedRequest, type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';

/** One model per caller on the loopback server, so tests count requests per hook exactly. */
export const MODELS = {
  planner: 'planner-model',
  recovery: 'recovery-model',
  mapping: 'mapping-model',
  decision: 'decision-model',
  adaptation: 'adaptation-model',
  agent: 'agent-model',
} as const;

/** A gateway config routing the planner, each hook and agents' own calls (`agent_task`) to their models. */
export function workflowGatewayConfig(
  server: LlmServer,
  extra: Partial<GatewayConfigInput> = {},
): GatewayConfigInput {
  const price = { inputPer1k: 0.0001, outputPer1k: 0.0004 };
  const rule = (model: string) => ({ prefer: [{ provider: 'openai', model }] });
  return {
    providers: {
      openai: { kind: 'openai', baseUrl: `${server.url}/v1`, apiKey: 'sk-test', timeoutMs: 10_000 },
    },
    prices: Object.fromEntries(Object.values(MODELS).map((m) => [`openai/${m}`, price])),
    routing: {
      default: rule(MODELS.agent),
      rules: {
        plan: rule(MODELS.planner),
        workflow_recovery: rule(MODELS.recovery),
        workflow_mapping: rule(MODELS.mapping),
        workflow_decision: rule(MODELS.decision),
        workflow_adaptation: rule(MODELS.adaptation),
        agent_task: rule(MODELS.agent),
        nowhere: { prefer: [] },
      },
    },
    budget: { maxCallsPerHour: 10_000, maxTokensPerHour: 100_000_000, reserveCalls: 0, reserveTokens: 0 },
    cooldown: { baseMs: 60_000, maxMs: 600_000 },
    ...extra,
  };
}

/** A loopback LLM server, a real gateway on it (SQLite in a temp dir), a manual clock, a dir for workflow DBs. */
export interface LlmHarness {
  server: LlmServer;
  gateway: Gateway;
  clock: ManualClock;
  dir: string;
  close(): Promise<void>;
}

export async function llmHarness(extra: Partial<GatewayConfigInput> = {}): Promise<LlmHarness> {
  const server = await startLlmServer();
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const dir = tempDir('orrery-workflow-llm-');
  const gateway = createGateway(workflowGatewayConfig(server, extra), {
    dbPath: `${dir.path}/gateway.db`,
    clock,
  });
  return {
    server,
    gateway,
    clock,
    dir: dir.path,
    async close() {
      await gateway.close();
      await server.close();
      dir.remove();
    },
  };
}

/** The text of every message of a recorded OpenAI request, joined. */
export function promptText(req: LlmRecordedRequest | undefined): string {
  const b = req?.body as { messages?: { role?: string; content?: unknown }[] } | undefined;
  return (b?.messages ?? [])
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
    .join('\n');
}

/** The messages of a recorded OpenAI request. */
export function messagesOf(req: LlmRecordedRequest | undefined): { role: string; content: string }[] {
  const b = req?.body as { messages?: { role: string; content: string }[] } | undefined;
  return b?.messages ?? [];
}
