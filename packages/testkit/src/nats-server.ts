import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './net.ts';

/** A running `nats-server` child process on 127.0.0.1, started by {@link startNatsServer}. */
export interface NatsServerHandle {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** The loopback port it listens on; stays the same across {@link NatsServerHandle.restart}. */
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
  /** Stops the server and starts a fresh one on the same port; resolves once it accepts connections. */
  restart(): Promise<void>;
}

/** Options for {@link startNatsServer}. */
export interface NatsServerOptions {
  /** Port to listen on; a free loopback port when omitted. */
  port?: number;
  /** How long to wait for "Server is ready", in milliseconds (default 20 000). */
  readyTimeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test that crashes must not leave servers behind holding ports.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function launch(port: number, readyTimeoutMs: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let log = '';
    let settled = false;
    const settle = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stderr?.removeListener('data', onData);
      child.stderr?.resume();
      if (err === undefined) {
        resolve(child);
      } else {
        child.kill('SIGKILL');
        live.delete(child);
        reject(err);
      }
    };
    const onData = (chunk: Buffer): void => {
      log += chunk.toString('utf8');
      if (log.includes('Server is ready')) settle(undefined);
    };
    const timer = setTimeout(
      () =>
        settle(new Error(`nats-server on port ${port} not ready after ${readyTimeoutMs} ms. Log:\n${log}`)),
      readyTimeoutMs,
    );
    child.stderr?.on('data', onData);
    child.once('error', (err: NodeJS.ErrnoException) => {
      const message =
        err.code === 'ENOENT'
          ? 'nats-server is not installed (not found on PATH). Install it (e.g. `apt-get install nats-server`, ' +
            'or a release from https://github.com/nats-io/nats-server/releases) to run NATS tests.'
          : `nats-server failed to start: ${err.message}`;
      settle(new Error(message, { cause: err }));
    });
    child.once('exit', (code, signal) => {
      live.delete(child);
      settle(
        new Error(`nats-server on port ${port} exited early (code ${code}, signal ${signal}). Log:\n${log}`),
      );
    });
    live.add(child);
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      live.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts `nats-server -a 127.0.0.1 -p <port>` as a child process and resolves once its log says
 * "Server is ready". The server is killed when the test process exits, even if `stop()` is never called.
 *
 * @throws Error naming the fix when `nats-server` is not on PATH, or with the server's log when it
 *   exits early or is not ready within `readyTimeoutMs`.
 */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServerHandle> {
  installExitHook();
  const readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
  let port = opts.port ?? (await freePort());
  let child: ChildProcess | undefined;
  // A free port can be taken between freePort() and the server's bind: try a few fresh ones.
  for (let attempt = 0; child === undefined; attempt++) {
    try {
      child = await launch(port, readyTimeoutMs);
    } catch (err) {
      const inUse = err instanceof Error && /address already in use/i.test(err.message);
      if (!inUse || opts.port !== undefined || attempt >= 3) throw err;
      port = await freePort();
    }
  }
  let current: ChildProcess | undefined = child;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    async stop() {
      const c = current;
      current = undefined;
      if (c !== undefined) await terminate(c);
    },
    async restart() {
      const c = current;
      current = undefined;
      if (c !== undefined) await terminate(c);
      current = await launch(port, readyTimeoutMs);
    },
  };
}
