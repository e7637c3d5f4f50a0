import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { SOURCE_NODE_FLAGS } from '../../../test/support/source-node.ts';
import { ChromaServer, ChromaStartError, chromaCliPath, chromaHeartbeat } from '../src/index.ts';
import { alive, eventually } from './support/process.ts';

const owner = fileURLToPath(new URL('./support/chroma-owner.ts', import.meta.url));

describe('ChromaServer (the chroma CLI from the chromadb package)', () => {
  const dir = tempDir('orrery-chroma-server-');
  afterAll(() => dir.remove());

  it('resolves the CLI from the package bin', () => {
    expect(chromaCliPath()).toMatch(/chromadb[/\\]dist[/\\]cli\.mjs$/);
  });

  it('starts on a free loopback port, answers its heartbeat, and stops without leaving a process', async () => {
    const server = await ChromaServer.start({ dataDir: `${dir.path}/a` });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.running).toBe(true);
    expect(await chromaHeartbeat(server.url)).toBe(true);
    await server.stop();
    expect(server.running).toBe(false);
    expect(alive(server.pid)).toBe(false);
    expect(await chromaHeartbeat(server.url, 500)).toBe(false);
    await server.stop(); // idempotent
  });

  it('reports a server that cannot bind its port, with its output', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    try {
      const err = await ChromaServer.start({ dataDir: `${dir.path}/b`, port }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ChromaStartError);
      expect((err as ChromaStartError).code).toBe('ORRERY_MEMORY_CHROMA_START_FAILED');
      expect((err as ChromaStartError).output).toMatch(new RegExp(`${port}`));
    } finally {
      busy.close();
    }
  });

  it('leaves no orphan when its owner is killed with SIGKILL', async () => {
    const child = spawn(process.execPath, [...SOURCE_NODE_FLAGS, owner, `${dir.path}/c`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`owner exited early (${code})`)));
    });
    const { pid, url } = JSON.parse(line) as { pid: number; url: string };
    expect(await chromaHeartbeat(url)).toBe(true);
    expect(alive(pid)).toBe(true);

    const ownerGone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await ownerGone;

    expect(await eventually(() => !alive(pid), 30_000)).toBe(true);
    expect(await chromaHeartbeat(url, 500)).toBe(false);
  });
});
