import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlmServer } from '@orrery/testkit';
import { orreryArgv } from '../../../../test/support/source-node.ts';
import { SERVE_MODELS } from './serve-harness.ts';

/** A long-running `orrery` child process (serve, planet) with its output collected. */
export interface OrreryProcess {
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `re` (rejects if the process exits first or after `ms`). */
  line(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code (or the signal's name) once the process has ended. */
  exited: Promise<number | string>;
}

/** Starts `orrery <args>` in `cwd` with exactly `env` (plus PATH and HOME). */
export function startOrreryProcess(
  cwd: string,
  args: readonly string[],
  env: Record<string, string>,
): OrreryProcess {
  const child = spawn(process.execPath, orreryArgv(args), {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    line(re, ms = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const l of out.split('\n')) {
            const m = re.exec(l);
            if (m !== null) {
              done();
              resolve(m);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no line matching ${re} after ${ms} ms.\nstdout:\n${out}\nstderr:\n${err}`));
        }, ms);
        const onExit = () => {
          check();
          done();
          reject(new Error(`orrery exited before printing ${re}.\nstdout:\n${out}\nstderr:\n${err}`));
        };
        const done = () => {
          clearTimeout(timer);
          child.stdout?.removeListener('data', check);
          child.removeListener('exit', onExit);
        };
        child.stdout?.on('data', check);
        child.once('exit', onExit);
        check();
      });
    },
  };
}

/** Writes an `orrery.yaml` routing every task to the loopback LLM server (the key comes from the env). */
export function writeServeConfig(dir: string, server: LlmServer): string {
  const file = join(dir, 'orrery.yaml');
  writeFileSync(
    file,
    [
      'gateway:',
      '  providers:',
      '    openai:',
      `      baseUrl: ${server.url}/v1`,
      '  routing:',
      '    localBaseUrl: http://127.0.0.1:9/v1',
      '    default:',
      `      prefer: [{ provider: openai, model: ${SERVE_MODELS.execute} }]`,
      '    rules:',
      '      planet_analysis:',
      `        prefer: [{ provider: openai, model: ${SERVE_MODELS.planet} }]`,
      'memory: false',
      '',
    ].join('\n'),
  );
  return file;
}
