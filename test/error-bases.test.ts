import { describe, expect, it } from 'vitest';
import { ConfigError, RunnerError, RunnerErrorCode } from '../apps/runner/src/errors.ts';
import { AgentsError, InvalidInputError } from '../packages/agents/src/errors.ts';
import { BrokerError, BrokerPackageError } from '../packages/broker/src/errors.ts';
import { BusError, InvalidMessageError } from '../packages/bus/src/errors.ts';
import { LLMError, LLMTruncatedError } from '../packages/core/src/errors.ts';
import { OrreryError } from '../packages/errors/src/index.ts';
import { MemoryError, NonFiniteFeatureError } from '../packages/memory/src/errors.ts';
import { WorkflowError, WorkflowValidationError } from '../packages/workflow/src/errors.ts';

/** Each package's base, one real subclass of it, and the prefix its codes keep. */
const families = [
  {
    base: AgentsError,
    prefix: 'ORRERY_AGENTS_',
    make: (cause: unknown) => new InvalidInputError('bar.close is NaN', { field: 'bar.close', cause }),
  },
  {
    base: BusError,
    prefix: 'ORRERY_BUS_',
    make: (cause: unknown) => new InvalidMessageError('not a message', { cause }),
  },
  {
    base: LLMError,
    prefix: 'ORRERY_LLM_',
    make: (cause: unknown) =>
      new LLMTruncatedError('cut', { provider: 'p', model: 'm', raw: '{"a":', maxTokens: 8, cause }),
  },
  {
    base: MemoryError,
    prefix: 'ORRERY_MEMORY_',
    make: (cause: unknown) =>
      Object.assign(new NonFiniteFeatureError('situation.rsi', Number.NaN), { cause }),
  },
  {
    base: WorkflowError,
    prefix: 'ORRERY_WORKFLOW_',
    make: (cause: unknown) =>
      Object.assign(
        new WorkflowValidationError([
          { code: 'CYCLE', stepId: 'a', path: 'steps.0', message: 'a needs itself' },
        ]),
        { cause },
      ),
  },
  {
    base: BrokerPackageError,
    prefix: 'ORRERY_',
    make: (cause: unknown) => new BrokerError('order refused', { cause }),
  },
  {
    base: RunnerError,
    prefix: 'ORRERY_',
    make: (cause: unknown) =>
      new ConfigError(RunnerErrorCode.CONFIG_INVALID, 'orrery.yaml', 'invalid configuration', [], { cause }),
  },
] as const;

describe("every package's error base is the one OrreryError", () => {
  for (const { base, prefix, make } of families) {
    it(`${base.name}: matches its own subclasses, no other package's, and keeps code, message and cause`, () => {
      const cause = new Error('disk full');
      const err = make(cause);
      expect(err instanceof base).toBe(true);
      expect(err instanceof OrreryError).toBe(true);
      expect(err.code.startsWith(prefix)).toBe(true);
      expect(err.cause).toBe(cause);
      for (const other of families) {
        if (other.base !== base) expect(err instanceof other.base).toBe(false);
      }
      expect(new OrreryError('ORRERY_X', 'x') instanceof base).toBe(false);
      expect(new Error('x') instanceof base).toBe(false);
      expect(JSON.parse(JSON.stringify(err))).toMatchObject({
        code: err.code,
        message: err.message,
        cause: { name: 'Error', message: 'disk full' },
      });
    });
  }

  it('a package loaded twice (a duplicate install) still shares one instanceof', async () => {
    const url = new URL('../packages/bus/src/errors.ts?duplicate-install', import.meta.url).href;
    const copy = (await import(url)) as typeof import('../packages/bus/src/errors.ts');
    expect(copy.BusError).not.toBe(BusError);
    const foreign = new copy.InvalidMessageError('from the other copy');
    expect(foreign instanceof BusError).toBe(true);
    expect(foreign instanceof OrreryError).toBe(true);
    expect(foreign instanceof LLMError).toBe(false);
    expect(new InvalidMessageError('from this copy') instanceof copy.BusError).toBe(true);
  });
});
