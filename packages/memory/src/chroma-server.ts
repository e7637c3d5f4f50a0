import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { ChromaStartError } from './errors.ts';

/** How to start an embedded Chroma server. */
export interface ChromaServerOptions {
  /** Folder where Chroma keeps its data (created if missing). */
  dataDir: string;
  /** Loopback port; a free one is picked when absent. */
  port?: number | undefined;
  /** How long to wait for the first heartbeat, in ms (default 60 000: it is slow on loaded machines). */
  startTimeoutMs?: number | undefined;
}

const HOST = '127.0.0.1';
const launcherPath = fileURLToPath(new URL('./chroma-launcher.mjs', import.meta.url));

/** The `chroma` CLI's entry file, from the `bin` of the installed `chromadb` package. */
export function chromaCliPath(): string {
  // chromadb's `exports` hides package.json, so walk up from its entry point.
  let dir = dirname(createRequire(import.meta.url).resolve('chromadb'));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('chromadb package.json not found');
    dir = up;
  }
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { bin?: { chroma?: string } };
  if (pkg.bin?.chroma === undefined) throw new Error('chromadb package has no chroma bin');
  return join(dir, pkg.bin.chroma);
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') return reject(new Error('no port'));
      srv.close(() => resolve(addr.port));
    });
  });
}

/** True when a Chroma server answers `GET /api/v2/heartbeat` at `url` within `timeoutMs`. */
export async function chromaHeartbeat(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(new URL('/api/v2/heartbeat', url), { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/**
 * A Chroma server run from the `chroma` CLI that ships in the `chromadb` package, on a loopback port,
 * owned by this process: it stops on {@link stop}, when this process exits, and also when this process
 * is killed outright (the server watches its owner and exits when the owner is gone), so no orphan stays.
 */
export class ChromaServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The loopback port it listens on. */
  readonly port: number;
  /** Its data folder. */
  readonly dataDir: string;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #output: string[];
  readonly #onOwnerExit: () => void;
  #exit: string | undefined;

  private constructor(child: ChildProcess, port: number, dataDir: string, output: string[]) {
    this.#child = child;
    this.port = port;
    this.dataDir = dataDir;
    this.url = `http://${HOST}:${port}`;
    this.#output = output;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = signal === null ? `code ${code}` : `signal ${signal}`;
        resolve();
      });
    });
    this.#onOwnerExit = () => {
      child.kill('SIGKILL');
    };
    process.once('exit', this.#onOwnerExit);
  }

  /**
   * Starts a server and waits until it answers its heartbeat.
   * @throws ChromaStartError when it exits early or stays silent past `startTimeoutMs` (its output attached).
   */
  static async start(options: ChromaServerOptions): Promise<ChromaServer> {
    mkdirSync(options.dataDir, { recursive: true });
    const attempts = options.port === undefined ? 3 : 1;
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      const port = options.port ?? (await freeLoopbackPort());
      try {
        return await ChromaServer.#startOnce(options.dataDir, port, options.startTimeoutMs ?? 60_000);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  static async #startOnce(dataDir: string, port: number, timeoutMs: number): Promise<ChromaServer> {
    const args = [launcherPath, chromaCliPath(), String(process.pid), 'run', '--path', dataDir];
    args.push('--port', String(port), '--host', HOST);
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const output: string[] = [];
    const keep = (chunk: Buffer) => {
      for (const line of stripVTControlCharacters(chunk.toString('utf8')).split('\n')) {
        if (line.trim() === '') continue;
        output.push(line);
        if (output.length > 40) output.shift();
      }
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // Neither the child nor its pipes keep the owner alive; the owner's exit closes the child's stdin.
    child.unref();
    for (const s of [child.stdin, child.stdout, child.stderr])
      (s as { unref?: () => void } | null)?.unref?.();
    const server = new ChromaServer(child, port, dataDir, output);
    const deadline = Date.now() + timeoutMs;
    let delay = 50;
    while (Date.now() < deadline) {
      if (server.#exit !== undefined) break;
      if (await chromaHeartbeat(server.url, 2000)) return server;
      await Promise.race([server.#exited, new Promise((r) => setTimeout(r, delay))]);
      delay = Math.min(delay * 2, 500);
    }
    const early = server.#exit;
    await server.stop();
    throw new ChromaStartError(
      early !== undefined
        ? `chroma exited (${early}) before answering on ${server.url}`
        : `chroma did not answer ${server.url}/api/v2/heartbeat within ${timeoutMs} ms; stopped it`,
      { output: output.join('\n') },
    );
  }

  /** The server's process id (the launcher that hosts it). */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** Whether the server process is still running. */
  get running(): boolean {
    return this.#exit === undefined;
  }

  /** The last lines the server printed. */
  output(): string {
    return this.#output.join('\n');
  }

  /** Stops the server (SIGTERM, then SIGKILL after `graceMs`) and waits for it to exit. Idempotent. */
  async stop(graceMs = 10_000): Promise<void> {
    process.removeListener('exit', this.#onOwnerExit);
    if (this.#exit !== undefined) return;
    this.#child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.#exited.then(() => false),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(true), graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.#child.kill('SIGKILL');
      await this.#exited;
    }
  }
}
