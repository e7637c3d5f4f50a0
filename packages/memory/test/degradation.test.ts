import { createServer, type Server } from 'node:http';
import { ManualClock } from '@orrery/core';
import { tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { ChromaServer, EpisodicMemory, IndexUnavailableError } from '../src/index.ts';
import { episode, recordingLogger } from './support/episodes.ts';

const T0 = Date.UTC(2026, 0, 1);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('when Chroma goes away mid-run', () => {
  const dir = tempDir('orrery-memory-degrade-');
  let chroma: ChromaServer | undefined;
  afterAll(async () => {
    await chroma?.stop();
    dir.remove();
  });

  it('recall finds nothing with one warning, writes carry on, and everything is indexed once it is back', async () => {
    const clock = new ManualClock(T0);
    const logger = recordingLogger();
    chroma = await ChromaServer.start({ dataDir: `${dir.path}/chroma` });
    const port = chroma.port;
    const memory = await EpisodicMemory.open({
      dbPath: `${dir.path}/m.db`,
      chroma: { mode: 'external', url: chroma.url },
      collection: 'degrade',
      indexRetryMs: 30_000,
      clock,
      logger,
    });
    // Before: six episodes along the first axis family.
    for (let i = 0; i < 6; i++)
      await memory.record(episode([1, i / 10, 0], { id: `before${i}`, time: T0 + i }));
    expect((await memory.recall({ vector: [1, 0, 0] }, 1))[0]?.episode.id).toBe('before0');

    // Chroma dies hard.
    process.kill(chroma.pid, 'SIGKILL');
    await chroma.stop();

    // Writes still land in SQLite; recall degrades to nothing; one warning for the whole outage.
    const during = await memory.record(episode([0, 0, 1], { id: 'during0', time: T0 + 10 }));
    expect(during.id).toBe('during0');
    await memory.recordMany([
      episode([0, 0.1, 1], { id: 'during1', time: T0 + 11 }),
      episode([0, 0.2, 1], { id: 'during2', time: T0 + 12 }),
    ]);
    expect(await memory.recall({ vector: [0, 0, 1] }, 3)).toEqual([]);
    expect(await memory.recall({ vector: [1, 0, 0] }, 3)).toEqual([]);
    memory.writeOutcome('before0', { return: 0.01, alpha: 0.002, horizonMs: 3_600_000 });
    expect(memory.stats()).toMatchObject({
      episodes: 9,
      indexed: 6,
      index: 'down',
      recallsDegraded: 2,
      warnings: 1,
    });
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(
      /similarity index unavailable \(unreachable\).*writes go on in SQLite/,
    );
    await expect(memory.rebuildIndex()).rejects.toBeInstanceOf(IndexUnavailableError);
    expect(logger.warnings).toHaveLength(1);

    // Chroma comes back on the same port and data; nothing is retried before the retry interval.
    chroma = await ChromaServer.start({ dataDir: `${dir.path}/chroma`, port });
    expect(await memory.recall({ vector: [0, 0, 1] }, 3)).toEqual([]);
    expect(memory.stats().recallsDegraded).toBe(3);

    clock.advance(30_000);
    const found = await memory.recall({ vector: [0, 0, 1] }, 3);
    expect(found.map((r) => r.episode.id)).toEqual(['during0', 'during1', 'during2']);
    expect(memory.stats()).toMatchObject({
      episodes: 9,
      indexed: 9,
      index: 'ok',
      recallsDegraded: 3,
      warnings: 1,
    });
    expect(logger.infos.join('\n')).toMatch(/similarity index is back/);
    const before = await memory.recall({ vector: [1, 0, 0] }, 1);
    expect(before[0]?.episode).toMatchObject({ id: 'before0', outcome: { type: 'realised', return: 0.01 } });

    // A second outage warns again, once.
    await chroma.stop();
    expect(await memory.recall({ vector: [1, 0, 0] }, 1)).toEqual([]);
    expect(memory.stats().warnings).toBe(2);
    await memory.close();
  });

  it('an embedded Chroma that dies is restarted (bounded), caught up from SQLite, and the outage is a period', async () => {
    const clock = new ManualClock(T0);
    const logger = recordingLogger();
    const memory = await EpisodicMemory.open({
      dbPath: `${dir.path}/embedded.db`,
      chroma: { mode: 'embedded', dataDir: `${dir.path}/embedded-chroma`, maxRestarts: 1 },
      collection: 'embedded',
      indexRetryMs: 5_000,
      clock,
      logger,
    });
    try {
      for (let i = 0; i < 4; i++) await memory.record(episode([1, i / 10, 0], { id: `e${i}`, time: T0 + i }));
      await memory.flush(); // the four are indexed before the server dies
      const first = memory.chromaPid!;
      process.kill(first, 'SIGKILL');
      await expect.poll(() => alive(first), { timeout: 30_000 }).toBe(false);
      clock.advance(1_000);
      for (let i = 4; i < 8; i++) await memory.record(episode([0, i / 10, 1], { id: `e${i}`, time: T0 + i }));
      await memory.flush(); // indexing is off the caller's path: let it meet the dead server
      expect(memory.stats()).toMatchObject({ index: 'down', indexed: 4, episodes: 8, restarts: 0 });
      expect(memory.stats().degradedPeriods).toEqual([{ from: T0 + 1_000, to: undefined }]);

      clock.advance(5_000); // the retry is due: the server is started again and the index caught up
      const found = await memory.recall({ vector: [0, 0.5, 1] }, 4);
      expect(found.map((r) => r.episode.id).sort()).toEqual(['e4', 'e5', 'e6', 'e7']);
      expect(memory.chromaPid).not.toBe(first);
      expect(memory.stats()).toMatchObject({ index: 'ok', indexed: 8, restarts: 1, degradedMs: 5_000 });
      expect(memory.stats().degradedPeriods).toEqual([{ from: T0 + 1_000, to: T0 + 6_000 }]);
      expect(logger.infos.join('\n')).toMatch(/chroma restarted \(1 of at most 1\)/);

      // The bound: after maxRestarts, a dead server stays dead and memory stays degraded (SQLite only).
      process.kill(memory.chromaPid!, 'SIGKILL');
      const second = memory.chromaPid!;
      await expect.poll(() => alive(second), { timeout: 30_000 }).toBe(false);
      await memory.record(episode([1, 1, 1], { id: 'e8', time: T0 + 8 }));
      clock.advance(5_000);
      expect(await memory.recall({ vector: [1, 1, 1] }, 1)).toEqual([]);
      expect(memory.stats()).toMatchObject({ index: 'down', restarts: 1, episodes: 9 });
    } finally {
      await memory.close();
    }
  }, 180_000);

  it('an embedded Chroma that cannot start does not fail the open: memory runs degraded, then starts it at the retry', async () => {
    const clock = new ManualClock(T0);
    const logger = recordingLogger();
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const memory = await EpisodicMemory.open({
      dbPath: `${dir.path}/unstarted.db`,
      chroma: { mode: 'embedded', dataDir: `${dir.path}/unstarted-chroma`, port, maxRestarts: 1 },
      collection: 'unstarted',
      indexRetryMs: 5_000,
      clock,
      logger,
    });
    try {
      await memory.record(episode([1, 0, 0], { id: 'u0', time: T0 }));
      expect(await memory.recall({ vector: [1, 0, 0] }, 1)).toEqual([]);
      expect(memory.stats()).toMatchObject({ episodes: 1, indexed: 0, index: 'down', recallsDegraded: 1 });
      expect(memory.chromaPid).toBeUndefined();
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]).toMatch(/unavailable \(unreachable\) during the embedded chroma start/);

      await new Promise<void>((r) => busy.close(() => r()));
      clock.advance(5_000);
      const found = await memory.recall({ vector: [1, 0, 0] }, 1);
      expect(found.map((r) => r.episode.id)).toEqual(['u0']);
      expect(memory.stats()).toMatchObject({ episodes: 1, indexed: 1, index: 'ok', restarts: 1 });
      expect(memory.indexUrl).toBe(`http://127.0.0.1:${port}`);
    } finally {
      busy.close();
      await memory.close();
    }
  }, 180_000);

  it('an embedded Chroma starts in the background: a recall right after open waits for it and sees what was recorded', async () => {
    const memory = await EpisodicMemory.open({
      dbPath: `${dir.path}/background.db`,
      chroma: { mode: 'embedded', dataDir: `${dir.path}/background-chroma` },
      collection: 'background',
      logger: recordingLogger(),
    });
    try {
      await memory.recordMany([
        episode([0, 1, 0], { id: 'g0', time: T0 }),
        episode([0, 1, 0.5], { id: 'g1', time: T0 + 1 }),
      ]);
      const found = await memory.recall({ vector: [0, 1, 0] }, 5);
      expect(found.map((r) => r.episode.id)).toEqual(['g0', 'g1']);
      expect(memory.stats()).toMatchObject({ index: 'ok', indexed: 2, recallsDegraded: 0 });
    } finally {
      await memory.close();
    }
  }, 180_000);

  it('opens degraded when Chroma is unreachable from the start, and catches up later', async () => {
    const clock = new ManualClock(T0);
    const logger = recordingLogger();
    const probe = await ChromaServer.start({ dataDir: `${dir.path}/late` });
    const { port, url } = probe;
    await probe.stop();

    const memory = await EpisodicMemory.open({
      dbPath: `${dir.path}/late.db`,
      chroma: { mode: 'external', url },
      collection: 'late',
      indexRetryMs: 1000,
      clock,
      logger,
    });
    expect(memory.stats().index).toBe('down');
    await memory.record(episode([1, 0], { id: 'x' }));
    expect(await memory.recall({ vector: [1, 0] })).toEqual([]);

    chroma = await ChromaServer.start({ dataDir: `${dir.path}/late`, port });
    clock.advance(1000);
    expect((await memory.recall({ vector: [1, 0] }))[0]?.episode.id).toBe('x');
    expect(logger.warnings).toHaveLength(1);
    await memory.close();
  });

  async function listen(server: Server): Promise<string> {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  it('degrades the same way when the server answers errors or never answers', async () => {
    const failing = createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'InternalError', message: 'disk full' }));
    });
    const silent = createServer(() => undefined);
    try {
      for (const [name, server, kind] of [
        ['failing', failing, 'rejected'],
        ['silent', silent, 'unreachable'],
      ] as const) {
        const logger = recordingLogger();
        const memory = await EpisodicMemory.open({
          dbPath: `${dir.path}/${name}.db`,
          chroma: { mode: 'external', url: await listen(server) },
          indexTimeoutMs: 300,
          clock: new ManualClock(T0),
          logger,
        });
        const e = await memory.record(episode([1, 0], { id: name }));
        expect(e.id).toBe(name);
        expect(await memory.recall({ vector: [1, 0] })).toEqual([]);
        expect(memory.stats()).toMatchObject({ episodes: 1, indexed: 0, index: 'down', recallsDegraded: 1 });
        expect(logger.warnings).toHaveLength(1);
        expect(logger.warnings[0]).toContain(`(${kind})`);
        await memory.close();
      }
    } finally {
      silent.closeAllConnections();
      failing.close();
      silent.close();
    }
  });
});
