import { tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DimensionMismatchError,
  EpisodeExistsError,
  EpisodicMemory,
  MemoryClosedError,
  MemoryError,
  MemoryErrorCode,
  MemoryValidationError,
  NonFiniteFeatureError,
  ZeroVectorError,
} from '../src/index.ts';
import { episode } from './support/episodes.ts';

describe('bad input is rejected clearly', () => {
  const dir = tempDir('orrery-memory-validation-');
  let memory: EpisodicMemory;

  beforeAll(async () => {
    memory = await EpisodicMemory.open({ dbPath: `${dir.path}/m.db`, chroma: { mode: 'off' }, dimension: 3 });
  });
  afterAll(async () => {
    await memory.close();
    dir.remove();
  });

  async function rejection(p: Promise<unknown>): Promise<MemoryValidationError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(MemoryValidationError);
    return err as MemoryValidationError;
  }

  it('names a NaN or infinite feature by its index', async () => {
    const nan = await rejection(memory.record(episode([1, Number.NaN, 0])));
    expect(nan).toBeInstanceOf(NonFiniteFeatureError);
    expect(nan.code).toBe(MemoryErrorCode.NON_FINITE_FEATURE);
    expect(nan.field).toBe('situation.vector[1]');
    const inf = await rejection(memory.record(episode([1, 0, Number.POSITIVE_INFINITY])));
    expect(inf.field).toBe('situation.vector[2]');
    expect(inf.message).toMatch(/situation\.vector\[2\] must be a finite number, got Infinity/);
  });

  it('names a non-finite named field', async () => {
    const err = await rejection(
      memory.record(episode([1, 0, 0], { situation: { vector: [1, 0, 0], fields: { atr: Number.NaN } } })),
    );
    expect(err).toBeInstanceOf(NonFiniteFeatureError);
    expect(err.field).toBe('situation.fields.atr');
  });

  it('rejects a vector of the wrong dimension', async () => {
    const err = await rejection(memory.record(episode([1, 0, 0, 0])));
    expect(err).toBeInstanceOf(DimensionMismatchError);
    expect(err.code).toBe(MemoryErrorCode.DIMENSION_MISMATCH);
    expect((err as DimensionMismatchError).expected).toBe(3);
    expect((err as DimensionMismatchError).actual).toBe(4);
    await expect(memory.recall({ vector: [1, 0] })).rejects.toBeInstanceOf(DimensionMismatchError);
  });

  it('rejects an all-zero vector, which has no direction', async () => {
    const err = await rejection(memory.record(episode([0, 0, 0])));
    expect(err).toBeInstanceOf(ZeroVectorError);
    expect(err.code).toBe(MemoryErrorCode.ZERO_VECTOR);
  });

  it('rejects a confidence outside 0..1, naming the field', async () => {
    for (const confidence of [1.5, -0.1, Number.NaN]) {
      const err = await rejection(memory.record(episode([1, 0, 0], { confidence })));
      expect(err).not.toBeInstanceOf(NonFiniteFeatureError);
      expect(err.code).toBe(MemoryErrorCode.INVALID_INPUT);
      expect(err.field).toBe('confidence');
    }
  });

  it('lists every problem, and names the item of a batch', async () => {
    const bad = episode([1, 0, 0], { symbol: '', horizonMs: -1 });
    const err = await rejection(memory.recordMany([episode([1, 0, 0]), bad]));
    expect(err.field).toBe('[1].symbol');
    expect(err.issues.join('\n')).toMatch(/\[1\]\.horizonMs/);
    expect(memory.stats().episodes).toBe(0);
  });

  it('rejects a bad mode, k, filter and outcome', async () => {
    const mode = await rejection(
      memory.record({ ...episode([1, 0, 0]), mode: 'THINK_HARD' as 'FULL_AGENT' }),
    );
    expect(mode.field).toBe('mode');
    expect((await rejection(memory.recall({ vector: [1, 0, 0] }, 0))).field).toBe('k');
    expect((await rejection(memory.recall({ vector: [1, 0, 0] }, 3, { since: -5 }))).field).toBe(
      'filter.since',
    );
    const e = await memory.record(episode([1, 0, 0]));
    expect(() => memory.writeOutcome(e.id, { return: Number.NaN, alpha: 0, horizonMs: 1 })).toThrow(
      expect.objectContaining({ field: 'outcome.return' }),
    );
  });

  it('refuses a duplicate id without writing', async () => {
    await memory.record(episode([0, 1, 0], { id: 'dup' }));
    await expect(memory.record(episode([0, 1, 0], { id: 'dup' }))).rejects.toBeInstanceOf(EpisodeExistsError);
  });

  it('keeps its errors recognisable across package copies', () => {
    const foreign = { [Symbol.for('orrery.memory.MemoryError')]: true };
    expect(foreign instanceof MemoryError).toBe(true);
    expect(new ZeroVectorError() instanceof MemoryError).toBe(true);
  });

  it('refuses work once closed', async () => {
    const m = await EpisodicMemory.open({ dbPath: `${dir.path}/closed.db`, chroma: { mode: 'off' } });
    await m.close();
    await m.close();
    await expect(m.recall({ vector: [1] })).rejects.toBeInstanceOf(MemoryClosedError);
    expect(() => m.stats()).toThrow(MemoryClosedError);
  });
});

describe('the dimension of a memory', () => {
  it('is kept in SQLite, so a reopened memory refuses other dimensions or a conflicting config', async () => {
    const dir = tempDir('orrery-memory-dimension-');
    const dbPath = `${dir.path}/m.db`;
    let memory = await EpisodicMemory.open({ dbPath, chroma: { mode: 'off' }, dimension: 3 });
    expect(memory.stats().dimension).toBe(3);
    await memory.close();
    memory = await EpisodicMemory.open({ dbPath, chroma: { mode: 'off' } });
    await expect(memory.record(episode([1, 0]))).rejects.toBeInstanceOf(DimensionMismatchError);
    await memory.close();
    await expect(EpisodicMemory.open({ dbPath, chroma: { mode: 'off' }, dimension: 5 })).rejects.toThrow(
      /dimension: 5 differs from the stored 3/,
    );
    dir.remove();
  });

  it('is fixed by the first episode when not configured', async () => {
    const dir = tempDir('orrery-memory-dimension-');
    const memory = await EpisodicMemory.open({ dbPath: `${dir.path}/m.db`, chroma: { mode: 'off' } });
    const err = await memory.recordMany([episode([1, 0]), episode([1, 0, 0])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DimensionMismatchError);
    expect((err as DimensionMismatchError).field).toBe('[1].situation.vector');
    await memory.record(episode([1, 0]));
    await expect(memory.record(episode([1, 0, 0]))).rejects.toBeInstanceOf(DimensionMismatchError);
    await memory.close();
    dir.remove();
  });
});
