import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import {
  createGateway,
  type Gateway,
  type GatewayConfigInput,
  type GatewayOptions,
  ManualClock,
} from '../src/index.ts';

/** Secrets used in tests; they must never appear in errors, the ledger or logs. */
export const OPENAI_KEY = 'sk-test-OPENAI-SECRET-0123456789';
export const ANTHROPIC_KEY = 'sk-ant-test-ANTHROPIC-SECRET-9876';

/**
 * A gateway config pointing every provider at the loopback server. The server scripts replies by model
 * name, so each provider has its own models: openai `cheap`/`smart`, backup `spare`, anthropic `claude`,
 * ollama (local) `tiny`.
 */
export function loopbackConfig(
  server: LlmServer,
  extra: Partial<GatewayConfigInput> = {},
): GatewayConfigInput {
  return {
    providers: {
      openai: { kind: 'openai', baseUrl: `${server.url}/v1`, apiKey: OPENAI_KEY, timeoutMs: 10_000 },
      backup: { kind: 'openai', baseUrl: server.url, timeoutMs: 10_000 },
      anthropic: { kind: 'anthropic', baseUrl: server.url, apiKey: ANTHROPIC_KEY, timeoutMs: 10_000 },
      ollama: { kind: 'openai', baseUrl: `${server.url}/v1`, local: true, timeoutMs: 10_000 },
    },
    prices: {
      'openai/cheap': { inputPer1k: 0.0001, outputPer1k: 0.0004 },
      'openai/smart': { inputPer1k: 0.003, outputPer1k: 0.015 },
      'backup/spare': { inputPer1k: 0.0002, outputPer1k: 0.0008 },
      'anthropic/claude': { inputPer1k: 0.001, outputPer1k: 0.005 },
    },
    routing: {
      default: { prefer: [{ provider: 'openai', model: 'cheap' }] },
      trivialTaskProvider: 'ollama',
      trivialTaskModel: 'tiny',
      ...extra.routing,
    },
    budget: {
      maxCallsPerHour: 10_000,
      maxTokensPerHour: 100_000_000,
      reserveCalls: 0,
      reserveTokens: 0,
      ...extra.budget,
    },
    cooldown: { baseMs: 1_000, maxMs: 8_000, ...extra.cooldown },
    ...(extra.breaker === undefined ? {} : { breaker: extra.breaker }),
    ...(extra.cache === undefined ? {} : { cache: extra.cache }),
    ...(extra.ledger === undefined ? {} : { ledger: extra.ledger }),
    ...(extra.request === undefined ? {} : { request: extra.request }),
  };
}

/** A loopback LLM server, a manual clock, a temp dir for SQLite, and a gateway factory; `close()` cleans up. */
export interface Harness {
  server: LlmServer;
  clock: ManualClock;
  dbPath: string;
  /** Creates a gateway on the harness' server, clock and db file (closed by `close()`). */
  gateway(extra?: Partial<GatewayConfigInput>, options?: GatewayOptions): Gateway;
  close(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const server = await startLlmServer();
  const clock = new ManualClock();
  const dir = tempDir('orrery-core-');
  const gateways: Gateway[] = [];
  const dbPath = `${dir.path}/gateway.db`;
  return {
    server,
    clock,
    dbPath,
    gateway(extra = {}, options = {}) {
      const g = createGateway(loopbackConfig(server, extra), { dbPath, clock, ...options });
      gateways.push(g);
      return g;
    },
    async close() {
      await Promise.all(gateways.map((g) => g.close()));
      await server.close();
      dir.remove();
    },
  };
}

/** A one-message user request. */
export function ask(content: string): { role: 'user'; content: string }[] {
  return [{ role: 'user', content }];
}
