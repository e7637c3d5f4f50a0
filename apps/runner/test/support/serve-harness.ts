import type { Bar } from '@orrery/agents';
import { createGateway, type Gateway, type GatewayConfigInput, ManualClock } from '@orrery/core';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import type { FastifyInstance } from 'fastify';
import { createServeApp, type ServeAppOptions } from '../../src/serve/app.ts';

/** Models on the loopback LLM server, one per use, so tests count calls per use. */
export const SERVE_MODELS = { execute: 'serve-model', planet: 'planet-model' } as const;

/** A provider key that must never leave the process (tests grep every output for it). */
export const SECRET_KEY = 'sk-orrery-test-SECRET-4f9c2b7e1d';

/** The gateway config of the serve tests: everything on the loopback server, the key set via env. */
export function serveGatewayConfig(
  server: LlmServer,
  extra: Partial<GatewayConfigInput> = {},
): GatewayConfigInput {
  return {
    providers: { openai: { kind: 'openai', baseUrl: `${server.url}/v1`, timeoutMs: 10_000 } },
    prices: {
      [`openai/${SERVE_MODELS.execute}`]: { inputPer1k: 0.001, outputPer1k: 0.002 },
      [`openai/${SERVE_MODELS.planet}`]: { inputPer1k: 0.0001, outputPer1k: 0.0004 },
    },
    routing: {
      default: { prefer: [{ provider: 'openai', model: SERVE_MODELS.execute }] },
      rules: {
        planet_analysis: { prefer: [{ provider: 'openai', model: SERVE_MODELS.planet }] },
        nowhere: { prefer: [] },
      },
    },
    budget: { maxCallsPerHour: 100_000, maxTokensPerHour: 100_000_000, reserveCalls: 0, reserveTokens: 0 },
    cooldown: { baseMs: 30_000, maxMs: 600_000 },
    ...extra,
  };
}

/** A loopback LLM server, a real gateway on it (SQLite in a temp dir, manual clock) and the serve app. */
export interface ServeHarness {
  server: LlmServer;
  gateway: Gateway;
  clock: ManualClock;
  app: FastifyInstance;
  /** Every log line the app wrote. */
  logs: string[];
  dbPath: string;
  close(): Promise<void>;
}

/** Builds a {@link ServeHarness}. The provider key arrives through the environment, as in production. */
export async function serveHarness(
  opts: { gateway?: Partial<GatewayConfigInput>; app?: Partial<ServeAppOptions> } = {},
): Promise<ServeHarness> {
  const server = await startLlmServer();
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const dir = tempDir('orrery-serve-');
  const dbPath = `${dir.path}/gateway.db`;
  const gateway = createGateway(serveGatewayConfig(server, opts.gateway), {
    dbPath,
    clock,
    env: { OPENAI_API_KEY: SECRET_KEY },
  });
  const logs: string[] = [];
  const app = createServeApp({ gateway, clock, log: (l) => logs.push(l), logLevel: 'debug', ...opts.app });
  await app.ready();
  return {
    server,
    gateway,
    clock,
    app,
    logs,
    dbPath,
    async close() {
      await app.close();
      await gateway.close();
      await server.close();
      dir.remove();
    },
  };
}

/**
 * `n` daily bars of a deterministic market: a trend with a slow wave and a faster wiggle, so every moon
 * warms up and the indicators move.
 */
export function syntheticBars(n: number, start = Date.UTC(2024, 0, 1)): Bar[] {
  const bars: Bar[] = [];
  let prev = 100;
  for (let i = 0; i < n; i++) {
    const close = 100 + i * 0.15 + 8 * Math.sin(i / 9) + 1.5 * Math.sin(i * 1.7);
    const open = prev;
    const high = Math.max(open, close) * 1.006;
    const low = Math.min(open, close) * 0.994;
    bars.push({ time: start + i * 86_400_000, open, high, low, close, volume: 1_000_000 + 5_000 * (i % 17) });
    prev = close;
  }
  return bars;
}

/** A planet answer the loopback server can script. */
export const PLANET_ANSWER = {
  plan: ['read the trend'],
  signal: 0.4,
  confidence: 0.65,
  reasons: ['trend up'],
};

/** The JSON body of a simple execute request. */
export function executeBody(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { task: 'summarise_news', messages: [{ role: 'user', content: 'hi' }], ...extra };
}
