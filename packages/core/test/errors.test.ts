import { describe, expect, it } from 'vitest';
import {
  LLMBudgetExceededError,
  LLMError,
  LLMErrorCode,
  LLMRateLimitedError,
  ManualClock,
  ProviderCoolingDownError,
} from '../src/index.ts';

describe('LLMError hierarchy', () => {
  it('gives each failure a stable code and keeps the cause', () => {
    const cause = new Error('HTTP 429');
    const err = new LLMRateLimitedError('openai/gpt-4o-mini answered 429; cooling down', {
      provider: 'openai',
      model: 'gpt-4o-mini',
      cooldownUntil: 1000,
      retryAfterMs: 500,
      cause,
    });
    expect(err).toBeInstanceOf(LLMError);
    expect(err).toBeInstanceOf(LLMRateLimitedError);
    expect(err).not.toBeInstanceOf(ProviderCoolingDownError);
    expect(err.code).toBe(LLMErrorCode.RATE_LIMITED);
    expect(err.cause).toBe(cause);
    expect(err.toJSON()).toEqual({
      code: 'ORRERY_LLM_RATE_LIMITED',
      message: 'openai/gpt-4o-mini answered 429; cooling down',
      provider: 'openai',
      model: 'gpt-4o-mini',
      cause: { name: 'Error', message: 'HTTP 429' },
    });
  });

  it('recognises an LLMError from another copy of the package by its registered symbol', () => {
    const foreign = { [Symbol.for('orrery.core.LLMError')]: true, code: 'ORRERY_LLM_TIMEOUT' };
    expect(foreign instanceof LLMError).toBe(true);
    expect(new Error('x') instanceof LLMError).toBe(false);
    expect(new LLMBudgetExceededError('spent', { budget: 'calls' }) instanceof LLMError).toBe(true);
  });
});

describe('ManualClock', () => {
  it('moves only forward and only when told', () => {
    const clock = new ManualClock(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(250);
    expect(clock.now()).toBe(1_250);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.set(10)).toThrow(RangeError);
    clock.set(5_000);
    expect(clock.now()).toBe(5_000);
  });
});
