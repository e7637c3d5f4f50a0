import { createServer, type Server } from 'node:http';
import { ManualClock } from '@orrery/core';
import { tempDir } from '@orrery/testkit';
import { ChromaClient } from 'chromadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChromaServer, EpisodicMemory } from '../src/index.ts';
import { episode, recordingLogger } from './support/episodes.ts';

const T0 = Date.UTC(2026, 0, 1);

/**
 * A pass-through proxy to a real Chroma that notes the ids of every upsert and can hold upserts until
 * released (everything else goes straight through).
 */
async function upsertGate(target: string) {
  const upserts: string[][] = [];
  let failing = false;
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => undefined;
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (req.method === 'POST' && req.url?.endsWith('/upsert')) {
      upserts.push((JSON.parse(body.toString('utf8')) as { ids: string[] }).ids);
      await gate;
      if (failing) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'InternalError', message: 'disk full' }));
        return;
      }
    }
    const headers: Record<string, string> = {};
    if (req.headers['content-type'] !== undefined) headers['content-type'] = req.headers['content-type'];
    const up = await fetch(new URL(req.url ?? '/', target), {
      method: req.method ?? 'GET',
      headers,
      ...(body.length > 0 ? { body } : {}),
    });
    res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await up.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    upserts,
    hold() {
      gate = new Promise<void>((r) => {
        open = r;
      });
    },
    release() {
      open();
    },
    /** Upserts answer 500 (without reaching Chroma) while on. */
    fail(on: boolean) {
      failing = on;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

function clientFor(url: string): ChromaClient {
  const u = new URL(url);
  return new ChromaClient({ host: u.hostname, port: Number(u.port), ssl: false });
}

describe('indexing off the caller’s path (issue 21)', () => {
  const dir = tempDir('orrery-memory-async-');
  let server: ChromaServer;
  let gate: Awaited<ReturnType<typeof upsertGate>>;

  beforeAll(async () => {
    server = await ChromaServer.start({ dataDir: `${dir.path}/chroma` });
    gate = await upsertGate(server.url);
  });
  afterAll(async () => {
    gate?.release();
    await gate?.close();
    await server?.stop();
    dir.remove();
  });

  const open = (name: string, opts: { clock?: ManualClock; url?: string } = {}) =>
    EpisodicMemory.open({
      dbPath: `${dir.path}/${name}.db`,
      chroma: { mode: 'external', url: opts.url ?? gate.url },
      collection: name,
      indexRetryMs: 10_000,
      logger: recordingLogger(),
      ...(opts.clock === undefined ? {} : { clock: opts.clock }),
    });

  it('record returns once SQLite has the episode; what queued meanwhile goes in one batch; recall waits for it', async () => {
    const memory = await open('queued');
    try {
      gate.upserts.length = 0;
      gate.hold();
      await memory.record(episode([1, 0, 0], { id: 'e0', time: T0 }));
      expect(memory.stats()).toMatchObject({ episodes: 1, indexed: 0 });
      // The first batch is in Chroma's hands (held there); the next episodes wait for it, then go together.
      await expect.poll(() => gate.upserts.length).toBe(1);
      await memory.recordMany([
        episode([1, 0.1, 0], { id: 'e1', time: T0 + 1 }),
        episode([1, 0.2, 0], { id: 'e2', time: T0 + 2 }),
      ]);
      await memory.record(episode([1, 0.3, 0], { id: 'e3', time: T0 + 3 }));
      expect(memory.stats()).toMatchObject({ episodes: 4, indexed: 0 });

      const recalled = memory.recall({ vector: [1, 0, 0] }, 10);
      gate.release();
      const found = await recalled;
      expect(found.map((r) => r.episode.id)).toEqual(['e0', 'e1', 'e2', 'e3']);
      expect(gate.upserts).toEqual([['e0'], ['e1', 'e2', 'e3']]);
      expect(memory.stats()).toMatchObject({ episodes: 4, indexed: 4, index: 'ok', indexFailures: 0 });
    } finally {
      gate.release();
      await memory.close();
    }
  });

  it('a recall waits only for queued episodes it could match: another symbol answers while one is held', async () => {
    const memory = await open('filtered');
    try {
      await memory.record(episode([0, 1, 0], { id: 'eth0', symbol: 'ETH', time: T0 }));
      await memory.flush();
      gate.upserts.length = 0;
      gate.hold();
      await memory.record(episode([0, 1, 0.1], { id: 'btc0', symbol: 'BTC', time: T0 + 1 }));
      await expect.poll(() => gate.upserts.length).toBe(1);
      const settled: string[] = [];
      const btc = memory.recall({ vector: [0, 1, 0] }, 5, { symbol: 'BTC' }).then((r) => {
        settled.push('btc');
        return r;
      });
      // While BTC's episode is still held on its way to Chroma: ETH's recall cannot match it, and answers.
      const eth = await memory.recall({ vector: [0, 1, 0] }, 5, { symbol: 'ETH' });
      expect(eth.map((r) => r.episode.id)).toEqual(['eth0']);
      // ... and so does one filtered to a time after every queued episode.
      expect(await memory.recall({ vector: [0, 1, 0] }, 5, { since: T0 + 2 })).toEqual([]);
      expect(settled).toEqual([]);
      gate.release();
      expect((await btc).map((r) => r.episode.id)).toEqual(['btc0']);
    } finally {
      gate.release();
      await memory.close();
    }
  });

  it('one recall after each record, as cycles do, sees every earlier episode while upserts lag behind', async () => {
    const memory = await open('cycles');
    try {
      gate.upserts.length = 0;
      for (let i = 0; i < 8; i++) {
        gate.hold();
        await memory.record(episode([1, i / 8, 0], { id: `c${i}`, time: T0 + i }));
        const recalled = memory.recall({ vector: [1, i / 8, 0] }, 100);
        gate.release();
        const found = await recalled;
        expect(found.map((r) => r.episode.id).sort()).toEqual(
          Array.from({ length: i + 1 }, (_, j) => `c${j}`).sort(),
        );
        expect(found[0]?.episode.id).toBe(`c${i}`);
      }
      expect(memory.stats()).toMatchObject({ episodes: 8, indexed: 8, index: 'ok' });
    } finally {
      gate.release();
      await memory.close();
    }
  });

  it('a batch Chroma refuses stays unindexed in SQLite and is caught up once the index is retried', async () => {
    const clock = new ManualClock(T0);
    const memory = await open('refused', { clock });
    try {
      gate.fail(true);
      await memory.recordMany([
        episode([1, 0, 1], { id: 'r0', time: T0 }),
        episode([1, 0.1, 1], { id: 'r1', time: T0 + 1 }),
      ]);
      await memory.flush();
      expect(memory.stats()).toMatchObject({ episodes: 2, indexed: 0, index: 'down', indexFailures: 1 });
      gate.fail(false);
      // Before the retry is due the index stays down; recall degrades to nothing.
      expect(await memory.recall({ vector: [1, 0, 1] }, 5)).toEqual([]);
      clock.advance(10_000);
      const found = await memory.recall({ vector: [1, 0, 1] }, 5);
      expect(found.map((r) => r.episode.id)).toEqual(['r0', 'r1']);
      expect(memory.stats()).toMatchObject({ episodes: 2, indexed: 2, index: 'ok' });
    } finally {
      gate.fail(false);
      await memory.close();
    }
  });

  it('an episode is durable before it is indexed: a process that dies then leaves it for the next open to index', async () => {
    const memory = await open('durable');
    gate.upserts.length = 0;
    gate.hold();
    await memory.record(episode([0, 0, 1], { id: 'd0', time: T0 }));
    await expect.poll(() => gate.upserts.length).toBe(1);
    // Another process opening the file now (as after kill -9) finds it, not yet indexed...
    const reader = await EpisodicMemory.open({ dbPath: `${dir.path}/durable.db`, chroma: { mode: 'off' } });
    expect(reader.stats()).toMatchObject({ episodes: 1, indexed: 0 });
    await reader.close();
    // ... and one with the index indexes it on open and recalls it.
    const next = await open('durable', { url: server.url });
    try {
      expect(next.stats()).toMatchObject({ episodes: 1, indexed: 1, index: 'ok' });
      expect((await next.recall({ vector: [0, 0, 1] }, 1))[0]?.episode.id).toBe('d0');
    } finally {
      await next.close();
      gate.release();
      await memory.close();
    }
  });

  it('indexing moves on while the caller records without ever waiting on I/O itself (a backtest)', async () => {
    const memory = await open('busy');
    try {
      gate.upserts.length = 0;
      // Records only, no other await: the upsert still reaches Chroma and its answer is read meanwhile.
      let n = 0;
      while (memory.stats().indexed === 0 && n < 5000) {
        await memory.record(episode([1, 1, n / 5000], { id: `b${n}`, time: T0 + n }));
        n++;
      }
      expect(memory.stats().indexed).toBeGreaterThan(0);
      expect(n).toBeLessThan(5000);
      await memory.flush();
      expect(memory.stats()).toMatchObject({ episodes: n, indexed: n, index: 'ok' });
      expect(gate.upserts.flat()).toHaveLength(n);
    } finally {
      await memory.close();
    }
  });

  it('close() indexes everything still queued before it returns', async () => {
    const memory = await open('closing');
    gate.upserts.length = 0;
    gate.hold();
    await memory.record(episode([0, 1, 0], { id: 'k0', time: T0 }));
    await expect.poll(() => gate.upserts.length).toBe(1);
    await memory.recordMany([
      episode([0, 1, 0.1], { id: 'k1', time: T0 + 1 }),
      episode([0, 1, 0.2], { id: 'k2', time: T0 + 2 }),
    ]);
    const closing = memory.close();
    gate.release();
    await closing;
    expect(gate.upserts).toEqual([['k0'], ['k1', 'k2']]);
    const collection = await clientFor(server.url).getCollection({ name: 'closing' });
    expect(await collection.count()).toBe(3);

    const reopened = await open('closing');
    try {
      expect(reopened.stats()).toMatchObject({ episodes: 3, indexed: 3, rebuilds: 0 });
    } finally {
      await reopened.close();
    }
  });
});
