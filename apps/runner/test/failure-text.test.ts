import { BrokerError, ControlError, LedgerError } from '@orrery/broker';
import { describe, expect, it } from 'vitest';
import { ConfigError, RunnerErrorCode } from '../src/errors.ts';
import { failureText } from '../src/runs/failure-text.ts';

describe('failureText', () => {
  it("prints the runner's and the broker's typed errors as `error: message`, without the --debug hint", () => {
    expect(failureText(new LedgerError('r1', 'no such run'), false)).toBe('error: run r1: no such run');
    expect(failureText(new BrokerError('quantity must be positive'), false)).toBe(
      'error: quantity must be positive',
    );
    expect(
      failureText(new ControlError(RunnerErrorCode.CONTROL_APPROVAL, 'approval', 'A1 is not pending'), false),
    ).toBe('error: A1 is not pending');
    expect(failureText(new ConfigError(RunnerErrorCode.CONFIG_FILE, 'x.yaml', 'missing'), false)).toBe(
      'error: x.yaml: missing',
    );
  });

  it('gives an untyped failure its name and the --debug hint', () => {
    expect(failureText(new TypeError('boom'), false)).toBe(
      'error: TypeError: boom\n(run with --debug for the stack trace)',
    );
  });
});
