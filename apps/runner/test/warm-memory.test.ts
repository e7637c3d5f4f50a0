import { join } from 'node:path';
import { loadDataSource } from '@orrery/feeds';
import { EpisodicMemory } from '@orrery/memory';
import { freePort, tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load.ts';
import { createLogSink } from '../src/session/log-sink.ts';
import { openSystem } from '../src/session/open-system.ts';
import { agentsConfig } from '../src/session/paper-run.ts';

const dir = tempDir('orrery-warm-memory-');
afterAll(() => dir.remove());

describe('warm-up after a resume (issue 18: ghost episodes)', () => {
  it('writes no memory episode for the bars it replays; trading bars after it do', async () => {
    const dbPath = join(dir.path, 'memory.db');
    const closed = await freePort();
    const loaded = parseConfig(
      {
        memory: { dbPath, chroma: { mode: 'off' } },
        learning: false,
        gateway: { routing: { localBaseUrl: `http://127.0.0.1:${closed}/v1` } },
        // Every bar reasons (the consensus decides without a model): each would be an episode.
        agents: { mode: { minChangedForLight: 0 } },
        run: { gatewayDbPath: join(dir.path, 'gateway.db') },
      },
      { source: 'test', baseDir: dir.path, env: {} },
    );
    const bars = loadDataSource({ source: 'btc' }).bars.slice(0, 120);
    const system = await openSystem({
      loaded,
      agents: agentsConfig(loaded, 365),
      log: createLogSink(() => {}),
      runId: 'warm',
      resumeAfter: bars[59]!.time,
    });
    const portfolio = { equity: 100_000, cash: 100_000, positions: {} };
    const reasoned: number[] = [];
    try {
      for (const bar of bars.slice(0, 60)) await system.strategy.warm!({ symbol: 'BTC', bar, portfolio });
      for (const bar of bars.slice(60)) {
        const r = await system.strategy.cycle({ symbol: 'BTC', bar, portfolio });
        if (r.mode !== 'MONITOR_ONLY') reasoned.push(bar.time);
      }
    } finally {
      await system.close();
    }
    const memory = await EpisodicMemory.open({ dbPath, chroma: { mode: 'off' } });
    try {
      const stored = memory.pendingOutcomes(Number.MAX_SAFE_INTEGER, 10_000).map((e) => e.time);
      expect(reasoned.length).toBeGreaterThan(0);
      expect(stored.filter((t) => t <= bars[59]!.time)).toEqual([]);
      expect(stored.sort((a, b) => a - b)).toEqual(reasoned);
    } finally {
      await memory.close();
    }
  }, 120_000);

  it('says in the summary notes when the similarity index was down', async () => {
    const closed = await freePort();
    const loaded = parseConfig(
      {
        memory: {
          dbPath: join(dir.path, 'down.db'),
          chroma: { mode: 'external', url: `http://127.0.0.1:${closed}` },
        },
        learning: false,
        gateway: { routing: { localBaseUrl: `http://127.0.0.1:${closed}/v1` } },
        agents: { mode: { minChangedForLight: 0 } },
        run: { gatewayDbPath: join(dir.path, 'gateway2.db') },
      },
      { source: 'test', baseDir: dir.path, env: {} },
    );
    const system = await openSystem({
      loaded,
      agents: agentsConfig(loaded, 365),
      log: createLogSink(() => {}),
      runId: 'down',
    });
    try {
      const portfolio = { equity: 100_000, cash: 100_000, positions: {} };
      for (const bar of loadDataSource({ source: 'btc' }).bars.slice(0, 40))
        await system.strategy.cycle({ symbol: 'BTC', bar, portfolio });
      const [note] = await system.memoryNotes();
      expect(note).toMatch(
        /^memory: similarity index down 1 time\(s\), \d+ min in all; (\d+) of \1 episodes not indexed \(still down\)$/,
      );
    } finally {
      await system.close();
    }
  }, 120_000);
});
