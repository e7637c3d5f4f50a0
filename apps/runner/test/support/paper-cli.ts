import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@orrery/testkit';
import { orreryArgv } from '../../../../test/support/source-node.ts';

/**
 * Writes an `orrery.yaml` into `dir` with everything under `dir/.orrery`, the local LLM endpoint pointed
 * at a closed loopback port (so no model server on this machine is found) and `extra` YAML appended.
 */
export async function writeTestConfig(dir: string, extra = ''): Promise<string> {
  const closed = await freePort();
  const file = join(dir, 'orrery.yaml');
  writeFileSync(file, `gateway:\n  routing:\n    localBaseUrl: http://127.0.0.1:${closed}/v1\n${extra}`);
  return file;
}

/** An environment without any LLM key or endpoint override. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of [
    'OPENAI_API_KEY',
    'OPENAI_BASE_URL',
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_BASE_URL',
    'OLLAMA_BASE_URL',
  ])
    delete env[k];
  return env;
}

/** Runs `orrery <args>` to completion in `cwd`. */
export function orrery(cwd: string, args: readonly string[], timeoutMs = 240_000) {
  return spawnSync(process.execPath, orreryArgv(args), {
    cwd,
    env: cleanEnv(),
    encoding: 'utf8',
    timeout: timeoutMs,
  });
}

/**
 * Runs `orrery <args>` to completion without blocking this process (needed when the test itself serves
 * the child, e.g. a loopback exchange).
 */
export async function orreryAsync(
  cwd: string,
  args: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = startOrrery(cwd, args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const status = await new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { status, stdout, stderr };
}

/** Starts `orrery <args>` in `cwd` without waiting. */
export function startOrrery(cwd: string, args: readonly string[]) {
  return spawn(process.execPath, orreryArgv(args), {
    cwd,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
