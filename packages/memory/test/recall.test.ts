import { tempDir } from '@orrery/testkit';
import { ChromaClient } from 'chromadb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChromaServer, chromaHeartbeat, EpisodicMemory } from '../src/index.ts';
import { episode, recordingLogger } from './support/episodes.ts';

const T0 = Date.UTC(2026, 0, 1);
const rad = (deg: number) => (deg * Math.PI) / 180;
/** A point on the unit circle in the first two of four dimensions, scaled (cosine ignores length). */
const at = (deg: number, scale = 1) => [Math.cos(rad(deg)) * scale, Math.sin(rad(deg)) * scale, 0, 0];
const ANGLES = [0, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300, 330];

function clientFor(url: string): ChromaClient {
  const u = new URL(url);
  return new ChromaClient({ host: u.hostname, port: Number(u.port), ssl: false });
}

describe('recall against a real embedded Chroma', () => {
  const dir = tempDir('orrery-memory-recall-');
  let server: ChromaServer;

  beforeAll(async () => {
    server = await ChromaServer.start({ dataDir: `${dir.path}/chroma` });
  });
  afterAll(async () => {
    await server?.stop();
    dir.remove();
  });

  const open = (name: string, logger = recordingLogger()) =>
    EpisodicMemory.open({
      dbPath: `${dir.path}/${name}.db`,
      chroma: { mode: 'external', url: server.url },
      collection: name,
      logger,
    });

  /** Twelve episodes around the circle: ETH on odd steps, `range` in the lower half, `sell` every third. */
  async function circle(memory: EpisodicMemory): Promise<void> {
    await memory.recordMany(
      ANGLES.map((deg, i) =>
        episode(at(deg, 0.37 * (i + 1)), {
          id: `deg${deg}`,
          time: T0 + i * 60_000,
          symbol: i % 2 === 0 ? 'BTC' : 'ETH',
          regime: deg < 180 ? 'trend_up' : 'range',
          decision: i % 3 === 0 ? 'sell' : 'buy',
        }),
      ),
    );
  }

  it('recalls the nearest past situations on a known geometry, with similarity and outcome', async () => {
    const memory = await open('geometry');
    await circle(memory);
    memory.writeOutcome('deg0', { return: 0.01, alpha: 0.004, horizonMs: 3_600_000 });

    const found = await memory.recall({ vector: at(10) }, 5);
    expect(found.map((r) => r.episode.id)).toEqual(['deg0', 'deg30', 'deg330', 'deg60', 'deg300']);
    const expected = [10, 20, 40, 50, 70].map((d) => Math.cos(rad(d)));
    found.forEach((r, i) => {
      expect(r.similarity).toBeCloseTo(expected[i]!, 5);
    });
    expect(found[0]?.episode.outcome).toMatchObject({ type: 'realised', return: 0.01, alpha: 0.004 });
    expect(found[1]?.episode.outcome.type).toBe('pending');
    expect(found[0]?.episode.situation.vector).toEqual(at(0, 0.37));
    expect(found[0]?.episode.situation.fields).toEqual({ rsi: 55, trend: 'up' });
    expect(memory.stats()).toMatchObject({
      episodes: 12,
      indexed: 12,
      index: 'ok',
      rebuilds: 0,
      warnings: 0,
    });
    await memory.close();
  });

  it('filters by symbol, regime, decision and time', async () => {
    const memory = await open('filters');
    await circle(memory);
    const ids = async (filter: Parameters<EpisodicMemory['recall']>[2], k = 3) =>
      (await memory.recall({ vector: at(10) }, k, filter)).map((r) => r.episode.id);

    expect(await ids({ symbol: 'ETH' })).toEqual(['deg30', 'deg330', 'deg90']);
    expect(await ids({ regime: 'range' })).toEqual(['deg330', 'deg300', 'deg270']);
    expect(await ids({ decision: 'sell', regime: 'trend_up' }, 5)).toEqual(['deg0', 'deg90']);
    // since: the 7th episode (180°) onwards
    expect(await ids({ since: T0 + 6 * 60_000, symbol: 'BTC' })).toEqual(['deg300', 'deg240', 'deg180']);
    expect(await ids({ symbol: 'DOGE' })).toEqual([]);
    await memory.close();
  });

  it('recalls nothing from an empty memory', async () => {
    const memory = await open('empty');
    expect(await memory.recall({ vector: at(0) }, 3)).toEqual([]);
    expect(memory.stats().recallsDegraded).toBe(0);
    await memory.close();
  });

  it('reopens its existing collection after both restart, without rebuilding', async () => {
    const own = tempDir('orrery-memory-restart-');
    const options = (url: string) => ({
      dbPath: `${own.path}/m.db`,
      chroma: { mode: 'external' as const, url },
      collection: 'restart',
      logger: recordingLogger(),
    });
    let chroma = await ChromaServer.start({ dataDir: `${own.path}/chroma` });
    let memory = await EpisodicMemory.open(options(chroma.url));
    await circle(memory);
    memory.writeOutcome('deg30', { return: -0.02, alpha: -0.01, horizonMs: 3_600_000 });
    const before = (await memory.recall({ vector: at(20) }, 4)).map((r) => r.episode.id);
    await memory.close();
    await chroma.stop();

    chroma = await ChromaServer.start({ dataDir: `${own.path}/chroma` });
    try {
      memory = await EpisodicMemory.open(options(chroma.url));
      expect(memory.stats()).toMatchObject({ index: 'ok', rebuilds: 0, episodes: 12, indexed: 12 });
      const after = await memory.recall({ vector: at(20) }, 4);
      expect(after.map((r) => r.episode.id)).toEqual(before);
      expect(after[0]?.episode).toMatchObject({ id: 'deg30', outcome: { type: 'realised', return: -0.02 } });
      await memory.close();
    } finally {
      await chroma.stop();
      own.remove();
    }
  });

  it('rebuilds a lost or stale index from SQLite on open', async () => {
    let memory = await open('lost');
    await circle(memory);
    await memory.close();

    // Lost: the collection is gone (a fresh Chroma, or someone deleted it).
    await clientFor(server.url).deleteCollection({ name: 'lost' });
    const logger = recordingLogger();
    memory = await open('lost', logger);
    expect(memory.stats()).toMatchObject({ index: 'ok', rebuilds: 1, indexed: 12 });
    expect(logger.infos.join('\n')).toMatch(/rebuilding the similarity index/);
    expect((await memory.recall({ vector: at(95) }, 2)).map((r) => r.episode.id)).toEqual([
      'deg90',
      'deg120',
    ]);
    await memory.close();

    // Stale: the collection lost two items behind our back; the count no longer matches SQLite.
    const col = await clientFor(server.url).getCollection({ name: 'lost' });
    await col.delete({ ids: ['deg90', 'deg120'] });
    memory = await open('lost');
    expect(memory.stats()).toMatchObject({ rebuilds: 1, indexed: 12 });
    expect((await memory.recall({ vector: at(95) }, 2)).map((r) => r.episode.id)).toEqual([
      'deg90',
      'deg120',
    ]);
    await memory.close();
  });

  it('recreates and refills a collection deleted while running', async () => {
    const logger = recordingLogger();
    const memory = await open('deleted', logger);
    await circle(memory);
    await clientFor(server.url).deleteCollection({ name: 'deleted' });

    const found = await memory.recall({ vector: at(185) }, 3);
    expect(found.map((r) => r.episode.id)).toEqual(['deg180', 'deg210', 'deg150']);
    expect(memory.stats()).toMatchObject({ index: 'ok', rebuilds: 1, indexed: 12, recallsDegraded: 0 });
    expect(logger.warnings).toHaveLength(1);
    await memory.close();
  });

  it('rebuildIndex() refills the collection from SQLite on demand', async () => {
    const memory = await open('explicit');
    await circle(memory);
    expect(await memory.rebuildIndex()).toBe(12);
    expect(memory.stats()).toMatchObject({ rebuilds: 1, indexed: 12 });
    expect(
      await clientFor(server.url)
        .getCollection({ name: 'explicit' })
        .then((c) => c.count()),
    ).toBe(12);
    await memory.close();
  });

  it('keeps the index whole when records and recalls race a rebuild', async () => {
    const memory = await open('race');
    await circle(memory);
    const extra = Array.from({ length: 20 }, (_, i) => episode(at(i * 7 + 3), { id: `x${i}` }));
    const rebuilt = memory.rebuildIndex();
    const others = Promise.all([
      ...extra.map((e) => memory.record(e)),
      memory.recall({ vector: at(0) }, 3),
      memory.rebuildIndex(),
    ]);
    expect(await rebuilt).toBeGreaterThanOrEqual(12);
    await others;
    expect(memory.stats()).toMatchObject({
      episodes: 32,
      indexed: 32,
      index: 'ok',
      recallsDegraded: 0,
      warnings: 0,
    });
    expect(
      await clientFor(server.url)
        .getCollection({ name: 'race' })
        .then((c) => c.count()),
    ).toBe(32);
    expect((await memory.recall({ vector: at(3) }, 1))[0]?.episode.id).toBe('x0');
    await memory.close();
  });

  it('recreates a same-named collection that does not measure cosine, and applies efSearch to an existing one', async () => {
    const client = clientFor(server.url);
    const foreign = await client.createCollection({
      name: 'notcosine',
      configuration: { hnsw: { space: 'l2' } },
      embeddingFunction: null,
    });
    await foreign.add({ ids: ['junk'], embeddings: [[9, 9, 9, 9]] });

    let memory = await EpisodicMemory.open({
      dbPath: `${dir.path}/notcosine.db`,
      chroma: { mode: 'external', url: server.url },
      collection: 'notcosine',
      hnsw: { efSearch: 50 },
      logger: recordingLogger(),
    });
    await circle(memory);
    const found = await memory.recall({ vector: at(10) }, 2);
    expect(found.map((r) => r.episode.id)).toEqual(['deg0', 'deg30']);
    expect(found[0]?.similarity).toBeCloseTo(Math.cos(rad(10)), 5);
    const col = await client.getCollection({ name: 'notcosine' });
    expect(col.configuration.hnsw).toMatchObject({ space: 'cosine', ef_search: 50, max_neighbors: 32 });
    expect(await col.count()).toBe(12);
    await memory.close();

    memory = await EpisodicMemory.open({
      dbPath: `${dir.path}/notcosine.db`,
      chroma: { mode: 'external', url: server.url },
      collection: 'notcosine',
      hnsw: { efSearch: 120 },
      logger: recordingLogger(),
    });
    expect(memory.stats().rebuilds).toBe(0);
    expect((await client.getCollection({ name: 'notcosine' })).configuration.hnsw?.ef_search).toBe(120);
    await memory.close();
  });

  it('starts and stops its own embedded Chroma when configured so', async () => {
    const memory = await EpisodicMemory.open({
      dbPath: `${dir.path}/embedded/m.db`,
      logger: recordingLogger(),
    });
    // The server starts in the background: SQLite is usable at once, the index once it answers.
    await memory.record(episode(at(45), { id: 'early' }));
    await memory.flush();
    const url = memory.indexUrl!;
    expect(await chromaHeartbeat(url)).toBe(true);
    await circle(memory);
    expect((await memory.recall({ vector: at(0) }, 1))[0]?.episode.id).toBe('deg0');
    expect(memory.stats()).toMatchObject({ episodes: 13, indexed: 13, index: 'ok' });
    await memory.close();
    expect(await chromaHeartbeat(url, 500)).toBe(false);
  });
});
