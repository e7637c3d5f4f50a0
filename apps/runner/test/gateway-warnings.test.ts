import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createGateway } from '@orrery/core';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import type { CliIO } from '../src/commands/io.ts';
import { loadConfig } from '../src/config/load.ts';

let server: LlmServer;
let dir: { path: string; remove(): void };
beforeEach(async () => {
  server = await startLlmServer();
  dir = tempDir('orrery-gw-warn-');
});
afterEach(async () => {
  await server.close();
  dir.remove();
});

async function orrery(env: Record<string, string>, ...args: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIO = {
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    env,
    cwd: dir.path,
    isTTY: false,
    signal: new AbortController().signal,
  };
  const code = await main(['node', 'orrery', ...args], io);
  return { code, out: stdout.join('\n'), err: stderr.join('\n') };
}

function configFile(): string {
  const file = join(dir.path, 'orrery.yaml');
  writeFileSync(
    file,
    `
gateway:
  providers:
    groq: { kind: openai, baseUrl: "${server.url}/v1", apiKey: { env: GROQ_API_KEY } }
  routing:
    default: { prefer: [{ provider: groq, model: llama-3.3-70b }] }
  cooldown: { baseMs: 30000, maxMs: 300000 }
run:
  gatewayDbPath: state/gateway.db
`,
  );
  return file;
}

describe('gateway warnings and orrery cooldowns', () => {
  it('orrery config check warns about an unpriced model, an unset key variable and the backup sun being off', async () => {
    const res = await orrery({}, 'config', 'check', '-c', configFile());
    expect(res.code).toBe(0);
    expect(res.out).toContain('groq (no key)');
    expect(res.err).toContain('warning: no price for groq/llama-3.3-70b');
    expect(res.err).toContain('warning: provider groq: its key comes from $GROQ_API_KEY, which is not set');
    expect(res.err).toContain('warning: sun_reasoning_backup has no provider/model distinct');
  });

  it('orrery cooldowns lists what the gateway file holds, with the Retry-After capped, and clears it', async () => {
    const file = configFile();
    const loaded = loadConfig({ file, env: { GROQ_API_KEY: 'gsk-test' }, cwd: dir.path });
    mkdirSync(dirname(loaded.config.run.gatewayDbPath), { recursive: true });
    const gateway = createGateway(loaded.gateway, { dbPath: loaded.config.run.gatewayDbPath });
    server.script('llama-3.3-70b', [{ status: 429, retryAfter: 999_999_999 }]);
    await gateway
      .execute({ task: 'analysis', messages: [{ role: 'user', content: 'x' }] })
      .catch(() => undefined);
    await gateway.close();

    const listed = await orrery({}, 'cooldowns', '-c', file, '--json');
    expect(listed.code).toBe(0);
    const json = JSON.parse(listed.out) as { active: { provider: string; model: string; until: number }[] };
    expect(json.active).toMatchObject([{ provider: 'groq', model: 'llama-3.3-70b', reason: 'rate_limited' }]);
    const left = (json.active[0]?.until ?? 0) - Date.now();
    expect(left).toBeLessThanOrEqual(300_000);
    expect(left).toBeGreaterThan(0);
    expect((await orrery({}, 'cooldowns', '-c', file)).out).toMatch(
      /^groq\/llama-3\.3-70b {2}cooling down for \d+ s more after 1 rate-limit strike/m,
    );

    const cleared = await orrery({}, 'cooldowns', '-c', file, '--clear', 'groq/llama-3.3-70b');
    expect(cleared.out).toBe('cleared groq/llama-3.3-70b\nno cooldowns, open breakers or disabled providers');
    const bad = await orrery({}, 'cooldowns', '-c', file, '--clear', 'nonsense');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--clear takes provider/model');
  });
});
