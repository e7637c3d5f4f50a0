import { describe, expect, it } from 'vitest';
import { MemoryConfigError, memoryConfigSchema, parseMemoryConfig } from '../src/index.ts';

describe('memoryConfigSchema', () => {
  it('applies defaults: embedded Chroma beside the database, 1000 recent decisions', () => {
    const c = parseMemoryConfig({ dbPath: '/var/orrery/memory.db' });
    expect(c).toMatchObject({
      dbPath: '/var/orrery/memory.db',
      shortTermSize: 1000,
      collection: 'orrery_episodes',
      chroma: { mode: 'embedded', dataDir: '/var/orrery/chroma', startTimeoutMs: 60_000 },
      indexRetryMs: 5000,
    });
    expect(c.dimension).toBeUndefined();
  });

  it('accepts external and off modes', () => {
    expect(
      parseMemoryConfig({ dbPath: 'm.db', chroma: { mode: 'external', url: 'http://10.0.0.5:8000' } }).chroma,
    ).toEqual({ mode: 'external', url: 'http://10.0.0.5:8000' });
    expect(memoryConfigSchema.parse({ dbPath: 'm.db', chroma: { mode: 'off' } }).chroma).toEqual({
      mode: 'off',
    });
  });

  it('lists every problem with its path', () => {
    try {
      parseMemoryConfig({
        dbPath: '',
        shortTermSize: 0,
        collection: 'x',
        chroma: { mode: 'external', url: 'nope' },
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MemoryConfigError);
      const issues = (err as MemoryConfigError).issues.join('\n');
      expect(issues).toMatch(/^dbPath:/m);
      expect(issues).toMatch(/^shortTermSize:/m);
      expect(issues).toMatch(/^collection:/m);
      expect(issues).toMatch(/^chroma\.url:/m);
      expect((err as MemoryConfigError).code).toBe('ORRERY_MEMORY_CONFIG');
    }
    expect(() => parseMemoryConfig({ dbPath: 'm.db', chroma: { mode: 'cloud' } })).toThrow(/chroma/);
  });
});
