import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withTimeout } from '../src/chroma-index.ts';

describe('a request timeout that tells a slow server from a busy thread', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A request that never answers, bounded at 300 ms, with lateness read from `clock.t`. */
  function pending(clock: { t: number }) {
    const outcome: { error?: Error } = {};
    const p = withTimeout(
      new Promise<never>(() => undefined),
      300,
      () => new Error('timed out'),
      () => clock.t,
    );
    p.catch((err: Error) => {
      outcome.error = err;
    });
    return outcome;
  }

  it('times out when its timer fires on time', async () => {
    const clock = { t: 0 };
    const outcome = pending(clock);
    clock.t = 300;
    await vi.advanceTimersByTimeAsync(300);
    expect(outcome.error?.message).toBe('timed out');
  });

  it('waits a further full period when its timer fired late (the thread was busy), then times out', async () => {
    const clock = { t: 0 };
    const outcome = pending(clock);
    clock.t = 300 + 1500; // the timer runs 1.5 s after it was due
    await vi.advanceTimersByTimeAsync(300);
    expect(outcome.error).toBeUndefined();
    clock.t += 299;
    await vi.advanceTimersByTimeAsync(299);
    expect(outcome.error).toBeUndefined();
    clock.t += 1;
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome.error?.message).toBe('timed out');
  });

  it('answers with the request when it settles first', async () => {
    await expect(withTimeout(Promise.resolve(7), 300, () => new Error('timed out'))).resolves.toBe(7);
    expect(vi.getTimerCount()).toBe(0);
  });
});
