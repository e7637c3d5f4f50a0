import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cooldowns } from '../src/cooldowns.ts';
import { LLMRateLimitedError, ProviderCoolingDownError } from '../src/index.ts';
import { openGatewayDb } from '../src/sqlite.ts';
import { ask, type Harness, harness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.close();
});

const twoCandidates = {
  routing: {
    rules: {
      analysis: {
        prefer: [
          { provider: 'openai', model: 'cheap' },
          { provider: 'backup', model: 'spare' },
        ],
      },
    },
  },
};

describe('cooldowns', () => {
  it('a 429 never causes a second provider call for the same non-critical request', async () => {
    h.server.script('cheap', [{ status: 429 }]);
    const g = h.gateway(twoCandidates);
    const err = await g.execute({ task: 'analysis', messages: ask('x') }).catch((e) => e);
    expect(err).toBeInstanceOf(LLMRateLimitedError);
    expect(h.server.requests).toHaveLength(1);
    const res = await g.tryExecute({
      task: 'analysis',
      messages: ask('y'),
      target: { provider: 'openai', model: 'cheap' },
    });
    expect(res.error?.code).toBe('ORRERY_LLM_COOLING_DOWN');
    expect(h.server.requests).toHaveLength(1);
  });

  it('doubles the cooldown on each consecutive 429 up to the cap (base 1 s, max 8 s)', async () => {
    const g = h.gateway();
    const seen: number[] = [];
    for (let k = 0; k < 6; k++) {
      h.server.script('cheap', [{ status: 429 }]);
      const err = await g.execute({ task: 'analysis', messages: ask('x') }).catch((e) => e);
      expect(err).toBeInstanceOf(LLMRateLimitedError);
      const until = g.cooldownUntil('openai', 'cheap');
      expect(until).toBe((err as LLMRateLimitedError).cooldownUntil);
      seen.push((until as number) - h.clock.now());
      h.clock.advance((until as number) - h.clock.now());
      expect(g.isCoolingDown('openai', 'cheap')).toBe(false);
    }
    expect(seen).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
    expect(h.server.requests).toHaveLength(6);
  });

  it('takes Retry-After (seconds or HTTP date) as a floor, capped by cooldown.maxMs', async () => {
    const g = h.gateway();
    h.server.script('cheap', [{ status: 429, retryAfter: 5 }]);
    await g.execute({ task: 'analysis', messages: ask('x') }).catch(() => undefined);
    expect(g.cooldownUntil('openai', 'cheap')).toBe(h.clock.now() + 5_000);
    h.clock.advance(5_000);
    h.server.script('cheap', [{ status: 429, retryAfter: new Date(h.clock.now() + 20_000).toUTCString() }]);
    const err = (await g
      .execute({ task: 'analysis', messages: ask('x') })
      .catch((e) => e)) as LLMRateLimitedError;
    expect(err.retryAfterMs).toBe(20_000);
    expect(g.cooldownUntil('openai', 'cheap')).toBe(h.clock.now() + 8_000);
  });

  it('a short Retry-After does not shorten the exponential cooldown', async () => {
    const g = h.gateway();
    h.server.script('cheap', [{ status: 429 }, { status: 429, retryAfter: 1 }]);
    await g.execute({ task: 'analysis', messages: ask('x') }).catch(() => undefined);
    h.clock.advance(1_000);
    await g.execute({ task: 'analysis', messages: ask('x') }).catch(() => undefined);
    expect(g.cooldownUntil('openai', 'cheap')).toBe(h.clock.now() + 2_000);
  });

  it('resets the doubling after a success', async () => {
    const g = h.gateway();
    h.server.script('cheap', [{ status: 429 }, { status: 429 }, { text: 'fine' }, { status: 429 }]);
    for (const _ of [1, 2]) {
      await g.execute({ task: 'analysis', messages: ask('x') }).catch(() => undefined);
      h.clock.advance((g.cooldownUntil('openai', 'cheap') as number) - h.clock.now());
    }
    await expect(g.execute({ task: 'analysis', messages: ask('x') })).resolves.toMatchObject({
      text: 'fine',
    });
    await g.execute({ task: 'analysis', messages: ask('x') }).catch(() => undefined);
    expect(g.cooldownUntil('openai', 'cheap')).toBe(h.clock.now() + 1_000);
  });

  it('makes no call during a cooldown and records the refusal', async () => {
    const g = h.gateway({ cooldown: { baseMs: 1_000, maxMs: 120_000 } });
    h.server.script('cheap', [{ status: 429, retryAfter: 60 }]);
    await g.execute({ task: 'analysis', messages: ask('x') }).catch(() => undefined);
    const calls = h.server.requests.length;
    for (let i = 0; i < 20; i++) {
      h.clock.advance(1_000);
      const err = await g.execute({ task: 'analysis', messages: ask(`x${i}`) }).catch((e) => e);
      expect(err).toBeInstanceOf(ProviderCoolingDownError);
      expect((err as ProviderCoolingDownError).until).toBe(g.cooldownUntil('openai', 'cheap'));
    }
    expect(h.server.requests.length).toBe(calls);
    expect(g.ledger.since().filter((e) => e.reason === 'cooldown')).toHaveLength(20);
    h.clock.advance(40_000);
    await expect(g.execute({ task: 'analysis', messages: ask('again') })).resolves.toMatchObject({
      success: true,
    });
  });

  it('routing skips a cooling candidate at resolution time: a new request goes to the next one (one call)', async () => {
    const g = h.gateway(twoCandidates);
    h.server.script('cheap', [{ status: 429 }]);
    await g.execute({ task: 'analysis', messages: ask('x') }).catch(() => undefined);
    expect(g.candidatesFor('analysis')).toEqual([{ provider: 'backup', model: 'spare' }]);
    const res = await g.execute({ task: 'analysis', messages: ask('y') });
    expect(res.provider).toBe('backup');
    expect(h.server.requestsFor('cheap')).toHaveLength(1);
    expect(h.server.requestsFor('spare')).toHaveLength(1);
  });

  it('with fallback: false a cooling first candidate refuses instead of moving on', async () => {
    const g = h.gateway({
      routing: { rules: { analysis: { ...twoCandidates.routing.rules.analysis, fallback: false } } },
    });
    h.server.script('cheap', [{ status: 429 }]);
    await g.execute({ task: 'analysis', messages: ask('x') }).catch(() => undefined);
    await expect(g.execute({ task: 'analysis', messages: ask('y') })).rejects.toBeInstanceOf(
      ProviderCoolingDownError,
    );
    expect(h.server.requestsFor('spare')).toHaveLength(0);
    expect(g.canServe('analysis')).toBe(false);
  });

  it('a critical request moves to the next candidate after a 429; one call per candidate', async () => {
    const g = h.gateway(twoCandidates);
    h.server.script('cheap', [{ status: 429 }]);
    h.server.script('spare', [{ text: 'backup answer' }]);
    const res = await g.execute({ task: 'analysis', messages: ask('x'), critical: true });
    expect(res).toMatchObject({ provider: 'backup', text: 'backup answer' });
    expect(h.server.requests.map((r) => r.model)).toEqual(['cheap', 'spare']);
    expect(g.ledger.since().map((e) => e.outcome)).toEqual(['error', 'ok']);
  });

  it('a critical request whose every candidate answers 429 fails with the last 429, each called once', async () => {
    const g = h.gateway(twoCandidates);
    h.server.script('cheap', [{ status: 429 }]);
    h.server.script('spare', [{ status: 429 }]);
    const err = await g.execute({ task: 'analysis', messages: ask('x'), critical: true }).catch((e) => e);
    expect(err).toBeInstanceOf(LLMRateLimitedError);
    expect((err as LLMRateLimitedError).provider).toBe('backup');
    expect(h.server.requests).toHaveLength(2);
    expect(g.canServe('analysis', { critical: true })).toBe(false);
  });
});

describe('cooldowns shared through one file', () => {
  it('a cooldown another connection writes or clears is seen by the next lookup, in the same turn', () => {
    const dir = mkdtempSync(join(tmpdir(), 'orrery-cooldown-shared-'));
    const a = openGatewayDb(join(dir, 'g.db'));
    const b = openGatewayDb(join(dir, 'g.db'));
    try {
      const policy = { baseMs: 30_000, maxMs: 600_000 };
      const breaker = { failures: 3, timeouts: 1, windowMs: 60_000, openMs: 30_000, maxOpenMs: 600_000 };
      const mine = new Cooldowns(a, policy, breaker);
      const theirs = new Cooldowns(b, policy, breaker);
      const now = 1_000_000;
      expect(mine.blocked('openai', 'cheap', now)).toBeUndefined();
      theirs.rateLimited('openai', 'cheap', now, undefined);
      expect(mine.blocked('openai', 'cheap', now)).toEqual({ until: now + 30_000, reason: 'rate_limited' });
      theirs.disable('openai', 'insufficient_quota');
      expect(mine.blocked('openai', 'other', now)?.reason).toBe('disabled');
      theirs.clear('openai', '*');
      expect(mine.blocked('openai', 'cheap', now)).toBeUndefined();
      // Its own writes too.
      mine.rateLimited('openai', 'cheap', now, 60_000);
      expect(mine.until('openai', 'cheap', now)).toBe(now + 60_000);
      mine.clear('openai', 'cheap');
      expect(theirs.until('openai', 'cheap', now)).toBeUndefined();
      expect(mine.until('openai', 'cheap', now)).toBeUndefined();
    } finally {
      a.close();
      b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
