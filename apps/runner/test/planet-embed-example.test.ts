import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { planetReportSchema } from '@orrery/agents';
import { type LlmServer, startLlmServer } from '@orrery/testkit';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_NODE_FLAGS } from '../../../test/support/source-node.ts';
import { PLANET_ANSWER, syntheticBars } from './support/serve-harness.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Starts examples/embed-planet/server.ts on a free port; resolves with its URL and a stop function. */
async function startExample(env: Record<string, string>) {
  const child = spawn(process.execPath, [...SOURCE_NODE_FLAGS, 'examples/embed-planet/server.ts'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /on (http:\/\/\S+\/analyze)/.exec(out);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`example exited (${code}):\n${out}\n${err}`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  return {
    url,
    out: () => out,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const post = async (url: string, body: unknown) => {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
};

const bars = syntheticBars(120);

describe('examples/embed-planet: a planet in a plain Node http service', () => {
  let llm: LlmServer;
  beforeAll(async () => {
    llm = await startLlmServer();
  });
  afterAll(async () => llm.close());

  it('answers with the deterministic analysis when no provider is configured', async () => {
    const ex = await startExample({});
    try {
      expect(ex.out()).toMatch(/\(deterministic\)/);
      const res = await post(ex.url, { symbol: 'SPY', bars });
      expect(res.status).toBe(200);
      expect(planetReportSchema.parse(res.body)).toMatchObject({
        planet: 'technical',
        source: 'deterministic',
      });
      const bad = await post(ex.url, { bars: [{ ...bars[0], high: -1 }] });
      expect(bad.status).toBe(400);
      expect(String(bad.body.error)).toMatch(/bar\.high/);
    } finally {
      await ex.stop();
    }
  });

  it('makes its one LLM call through the gateway when a provider is configured', async () => {
    llm.script('embed-model', [{ json: PLANET_ANSWER }]);
    const ex = await startExample({
      OPENAI_BASE_URL: `${llm.url}/v1`,
      OPENAI_API_KEY: 'sk-example',
      PLANET_MODEL: 'embed-model',
    });
    try {
      const res = await post(ex.url, { symbol: 'SPY', bars });
      expect(res.status).toBe(200);
      expect(planetReportSchema.parse(res.body)).toMatchObject({
        source: 'llm',
        signal: PLANET_ANSWER.signal,
      });
      expect(llm.requestsFor('embed-model')).toHaveLength(1);
    } finally {
      await ex.stop();
    }
  });
});
