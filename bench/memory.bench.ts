/**
 * Episodic memory: batched insert rate (SQLite + Chroma) and recall latency at 10k and 100k episodes,
 * each against a baseline measured in the same run: inserts against SQLite alone, recall against a
 * brute-force cosine scan in JS over the same vectors. Target: recall p95 ≤ 20 ms at 100k.
 * The 100k step runs only while the total insert time stays within INSERT_BUDGET_MS; otherwise it reports
 * the size it reached.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChromaServer, type EpisodeInput, EpisodicMemory } from '@orrery/memory';
import { Bench } from 'tinybench';

const DIM = 32;
const K = 10;
const BATCH = 1000;
const SIZES = [10_000, 100_000];
const INSERT_BUDGET_MS = 120_000;
const QUERIES = 200;
const quiet = { warn: () => undefined };

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Situations clustered around 64 centres, like regimes recurring. */
function situations(n: number, seed: number): number[][] {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const centres = Array.from({ length: 64 }, () => Array.from({ length: DIM }, gauss));
  return Array.from({ length: n }, () => {
    const c = centres[Math.floor(rnd() * centres.length)]!;
    return c.map((x) => x + 0.5 * gauss());
  });
}

function toEpisode(vector: number[], i: number): EpisodeInput {
  return {
    id: `e${i}`,
    time: Date.UTC(2026, 0, 1) + i * 60_000,
    symbol: i % 2 === 0 ? 'BTC-USD' : 'ETH-USD',
    situation: { vector, fields: { i } },
    regime: ['trend_up', 'trend_down', 'range'][i % 3]!,
    mode: 'FULL_AGENT',
    decision: ['buy', 'sell', 'hold'][i % 3]!,
    confidence: 0.5,
    horizonMs: 3_600_000,
  };
}

/** Top-k by cosine over unit rows, the way one would do it without an index. */
function bruteForce(rows: Float32Array, n: number, q: number[], k: number): number[] {
  let norm = 0;
  for (const x of q) norm += x * x;
  norm = Math.sqrt(norm);
  const best: { i: number; s: number }[] = [];
  for (let r = 0; r < n; r++) {
    let s = 0;
    const off = r * DIM;
    for (let d = 0; d < DIM; d++) s += rows[off + d]! * q[d]!;
    s /= norm;
    if (best.length < k || s > best[best.length - 1]!.s) {
      best.push({ i: r, s });
      best.sort((a, b) => b.s - a.s);
      if (best.length > k) best.pop();
    }
  }
  return best.map((b) => b.i);
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[idx]!;
}

function latencies(bench: Bench, name: string): number[] {
  const task = bench.getTask(name);
  const result = task?.result as { latency?: { samples?: readonly number[] } } | undefined;
  return [...(result?.latency?.samples ?? [])].sort((a, b) => a - b);
}

async function insertAll(
  memory: EpisodicMemory,
  vectors: number[][],
  from: number,
  to: number,
  budgetMs: number,
) {
  const t0 = performance.now();
  let i = from;
  while (i < to && performance.now() - t0 < budgetMs) {
    const end = Math.min(to, i + BATCH);
    await memory.recordMany(vectors.slice(i, end).map((v, j) => toEpisode(v, i + j)));
    i = end;
  }
  return { inserted: i - from, ms: performance.now() - t0 };
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

export default async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'orrery-memory-bench-'));
  const chroma = await ChromaServer.start({ dataDir: join(dir, 'chroma') });
  try {
    const max = SIZES[SIZES.length - 1]!;
    const vectors = situations(max, 42);
    const queries = situations(QUERIES, 7);
    const unitRows = new Float32Array(max * DIM);
    vectors.forEach((v, r) => {
      const n = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      for (let d = 0; d < DIM; d++) unitRows[r * DIM + d] = v[d]! / n;
    });

    // Baseline for inserts: the same batches into SQLite alone.
    const sqliteOnly = await EpisodicMemory.open({
      dbPath: join(dir, 'sqlite-only.db'),
      chroma: { mode: 'off' },
      logger: quiet,
    });
    const base = await insertAll(sqliteOnly, vectors, 0, SIZES[0]!, Number.POSITIVE_INFINITY);
    await sqliteOnly.close();
    const baseRate = (base.inserted / base.ms) * 1000;

    const memory = await EpisodicMemory.open({
      dbPath: join(dir, 'memory.db'),
      chroma: { mode: 'external', url: chroma.url },
      collection: 'bench',
      logger: quiet,
      indexTimeoutMs: 60_000,
    });
    console.log(`memory: ${DIM}-feature situations, k=${K}, batches of ${BATCH}, Chroma at ${chroma.url}`);
    let held = 0;
    let insertMs = 0;
    for (const size of SIZES) {
      const step = await insertAll(memory, vectors, held, size, INSERT_BUDGET_MS - insertMs);
      held += step.inserted;
      insertMs += step.ms;
      const rate = (step.inserted / step.ms) * 1000;
      console.log(
        `insert ${held - step.inserted}→${held}: ${rate.toFixed(0)} episodes/s (SQLite alone ${baseRate.toFixed(0)}/s; ` +
          `ratio ${(rate / baseRate).toFixed(3)})`,
      );
      if (held < size)
        console.log(`insert budget of ${INSERT_BUDGET_MS / 1000} s spent: measuring at ${held}`);

      // Accuracy (untimed): how many of the exact top-k the index returns.
      let overlap = 0;
      for (const q of queries) {
        const exact = new Set(bruteForce(unitRows, held, q, K).map((i) => `e${i}`));
        const found = await memory.recall({ vector: q }, K);
        overlap += found.filter((x) => exact.has(x.episode.id)).length / K;
      }
      const bench = new Bench({ iterations: QUERIES, time: 2000, warmupIterations: 10, retainSamples: true });
      let qi = 0;
      bench.add('recall', async () => {
        await memory.recall({ vector: queries[qi++ % QUERIES]! }, K);
      });
      let bi = 0;
      bench.add('brute-force scan', () => {
        bruteForce(unitRows, held, queries[bi++ % QUERIES]!, K);
      });
      await bench.run();
      const r = latencies(bench, 'recall');
      const b = latencies(bench, 'brute-force scan');
      const [r50, r95, b50, b95] = [
        percentile(r, 0.5),
        percentile(r, 0.95),
        percentile(b, 0.5),
        percentile(b, 0.95),
      ];
      console.log(
        `recall @${held}: p50 ${fmt(r50)}, p95 ${fmt(r95)} (${r.length} queries); brute-force JS scan p50 ${fmt(b50)}, ` +
          `p95 ${fmt(b95)}; ratio p95 recall/scan ${(r95 / b95).toFixed(3)}; ` +
          `overlap with exact top-${K} ${((overlap / QUERIES) * 100).toFixed(1)} %`,
      );
      if (held >= 100_000) console.log(`target p95 ≤ 20 ms at 100k: ${r95 <= 20 ? 'met' : 'missed'}`);
      if (held < size) break;
    }
    await memory.close();
  } finally {
    await chroma.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
