import { describe, expect, it } from 'vitest';
import { BusError, BusErrorCode, MailboxFullError, RequestTimeoutError } from '../src/index.ts';

describe('BusError hierarchy', () => {
  it('gives each failure a stable code, its fields and its cause', () => {
    const cause = new Error('socket closed');
    const err = new RequestTimeoutError('no reply', { address: 'planet.risk', timeoutMs: 100, cause });
    expect(err).toBeInstanceOf(BusError);
    expect(err).not.toBeInstanceOf(MailboxFullError);
    expect(err).toMatchObject({ code: BusErrorCode.REQUEST_TIMEOUT, address: 'planet.risk', timeoutMs: 100 });
    expect(err.cause).toBe(cause);
    expect(err.name).toBe('RequestTimeoutError');
    expect(err.toJSON()).toEqual({
      code: 'ORRERY_BUS_REQUEST_TIMEOUT',
      message: 'no reply',
      cause: { name: 'Error', message: 'socket closed' },
    });
  });

  it('recognises a BusError from another copy of the package by its registered symbol', () => {
    expect({ [Symbol.for('orrery.bus.BusError')]: true } instanceof BusError).toBe(true);
    expect(new Error('x') instanceof BusError).toBe(false);
  });
});
