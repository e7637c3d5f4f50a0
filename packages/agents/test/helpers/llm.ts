import { createGateway, type Gateway, type GatewayConfigInput, ManualClock } from '@orrery/core';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';

/** Model names on the loopback server, one per role, so tests can count requests per role. */
export const MODELS = {
  planet: 'planet-model',
  local: 'tiny-local',
  sun: 'sun-model',
  backupSun: 'backup-sun-model',
  critic: 'critic-model',
  /** The sun's cached notes (market summary, fragility card). */
  notes: 'notes-model',
} as const;

/** A gateway config routing every agent task to its own model on the loopback server. */
export function agentsGatewayConfig(
  server: LlmServer,
  extra: Partial<GatewayConfigInput> = {},
): GatewayConfigInput {
  return {
    providers: {
      openai: { kind: 'openai', baseUrl: `${server.url}/v1`, apiKey: 'sk-test', timeoutMs: 10_000 },
      anthropic: { kind: 'anthropic', baseUrl: server.url, apiKey: 'sk-ant-test', timeoutMs: 10_000 },
      ollama: { kind: 'openai', baseUrl: `${server.url}/v1`, local: true, timeoutMs: 10_000 },
    },
    prices: {
      [`openai/${MODELS.planet}`]: { inputPer1k: 0.0001, outputPer1k: 0.0004 },
      [`anthropic/${MODELS.sun}`]: { inputPer1k: 0.003, outputPer1k: 0.015 },
      [`openai/${MODELS.backupSun}`]: { inputPer1k: 0.001, outputPer1k: 0.004 },
      [`openai/${MODELS.critic}`]: { inputPer1k: 0.001, outputPer1k: 0.004 },
    },
    routing: {
      default: { prefer: [{ provider: 'openai', model: MODELS.planet }] },
      rules: {
        planet_analysis: { prefer: [{ provider: 'openai', model: MODELS.planet }] },
        sun_reasoning: { prefer: [{ provider: 'anthropic', model: MODELS.sun }], fallback: false },
        sun_reasoning_backup: {
          prefer: [{ provider: 'openai', model: MODELS.backupSun }],
          trust: 'judgment',
        },
        critic: { prefer: [{ provider: 'openai', model: MODELS.critic }] },
        market_summary: { prefer: [{ provider: 'openai', model: MODELS.notes }] },
        fragility_card: { prefer: [{ provider: 'openai', model: MODELS.notes }] },
      },
      trivialTaskProvider: 'ollama',
      trivialTaskModel: MODELS.local,
      trivial: { enabled: true },
    },
    budget: { maxCallsPerHour: 100_000, maxTokensPerHour: 100_000_000, reserveCalls: 0, reserveTokens: 0 },
    cooldown: { baseMs: 60_000, maxMs: 600_000 },
    ...extra,
  };
}

/** A loopback LLM server, a real gateway on it (SQLite in a temp dir), a manual clock; `close()` cleans up. */
export interface LlmHarness {
  server: LlmServer;
  gateway: Gateway;
  clock: ManualClock;
  close(): Promise<void>;
}

export async function llmHarness(extra: Partial<GatewayConfigInput> = {}): Promise<LlmHarness> {
  const server = await startLlmServer();
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const dir = tempDir('orrery-agents-');
  const gateway = createGateway(agentsGatewayConfig(server, extra), {
    dbPath: `${dir.path}/gateway.db`,
    clock,
  });
  return {
    server,
    gateway,
    clock,
    async close() {
      await gateway.close();
      await server.close();
      dir.remove();
    },
  };
}

/** The text of every message of a recorded OpenAI/Anthropic request body, joined. */
export function promptText(body: unknown): string {
  const b = body as { messages?: { content?: unknown }[]; system?: unknown };
  const parts = (b.messages ?? []).map((m) =>
    typeof m.content === 'string' ? m.content : JSON.stringify(m.content),
  );
  if (typeof b.system === 'string') parts.unshift(b.system);
  return parts.join('\n');
}
