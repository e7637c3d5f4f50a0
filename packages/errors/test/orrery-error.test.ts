import { describe, expect, it } from 'vitest';
import { OrreryError } from '../src/index.ts';

type Copy = typeof import('../src/orrery-error.ts');

/** A second, separate instance of the module, as a duplicate install of the package would be. */
async function secondCopy(): Promise<Copy> {
  // A query string makes the module loader treat it as another module: a fresh evaluation, new classes.
  const url = new URL('../src/orrery-error.ts?second-copy', import.meta.url).href;
  return (await import(url)) as Copy;
}

function familyOf(base: typeof OrreryError) {
  class PkgError extends base<'ORRERY_PKG_BROKEN' | 'ORRERY_PKG_OTHER'> {
    static override readonly brand: string = 'orrery.test.PkgError';
  }
  class BrokenError extends PkgError {
    readonly part: string;
    constructor(message: string, opts: ErrorOptions & { part: string }) {
      super('ORRERY_PKG_BROKEN', message, opts);
      this.part = opts.part;
    }
  }
  return { PkgError, BrokenError };
}

describe('OrreryError', () => {
  it('is a different class in the second copy, and instanceof still matches across the copies', async () => {
    const other = await secondCopy();
    expect(other.OrreryError).not.toBe(OrreryError);
    const here = familyOf(OrreryError);
    const there = familyOf(other.OrreryError);

    const foreign = new there.BrokenError('the part broke', { part: 'gear' });
    expect(foreign instanceof here.PkgError).toBe(true);
    expect(foreign instanceof OrreryError).toBe(true);
    const local = new here.BrokenError('the part broke', { part: 'gear' });
    expect(local instanceof there.PkgError).toBe(true);
    expect(local instanceof other.OrreryError).toBe(true);
    // An unbranded subclass is matched by its own prototype chain only.
    expect(foreign instanceof here.BrokenError).toBe(false);
    expect(local instanceof here.BrokenError).toBe(true);
  });

  it('does not match errors of another family or plain errors', () => {
    const { PkgError } = familyOf(OrreryError);
    class OtherError extends OrreryError<'ORRERY_OTHER_X'> {
      static override readonly brand: string = 'orrery.test.OtherError';
    }
    const other = new OtherError('ORRERY_OTHER_X', 'x');
    expect(other instanceof PkgError).toBe(false);
    expect(other instanceof OrreryError).toBe(true);
    expect(new Error('x') instanceof OrreryError).toBe(false);
    expect((null as unknown) instanceof OrreryError).toBe(false);
    expect({ code: 'ORRERY_PKG_BROKEN' } instanceof PkgError).toBe(false);
  });

  it('keeps the cause, and toJSON carries code, message and the described cause chain', async () => {
    const other = await secondCopy();
    const { BrokenError } = familyOf(OrreryError);
    const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const middle = new (familyOf(other.OrreryError).PkgError)('ORRERY_PKG_OTHER', 'the link failed', {
      cause: root,
    });
    const err = new BrokenError('the part broke', { part: 'gear', cause: middle });
    expect(err.cause).toBe(middle);
    expect(err.name).toBe('BrokenError');
    expect(err.toJSON()).toEqual({
      code: 'ORRERY_PKG_BROKEN',
      message: 'the part broke',
      cause: {
        code: 'ORRERY_PKG_OTHER',
        message: 'the link failed',
        cause: { name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ECONNREFUSED' },
      },
    });
    expect(JSON.parse(JSON.stringify(err))).toEqual(err.toJSON());
    expect(new BrokenError('no cause', { part: 'x' }).toJSON()).toEqual({
      code: 'ORRERY_PKG_BROKEN',
      message: 'no cause',
    });
  });

  it('ends a cyclic or very deep cause chain as text instead of recursing forever', () => {
    const a = new OrreryError('ORRERY_A', 'a');
    const b = new OrreryError('ORRERY_B', 'b', { cause: a });
    Object.defineProperty(a, 'cause', { value: b });
    const json = JSON.stringify(a);
    expect(json).toContain('"code":"ORRERY_A"');
    expect(json).toContain('OrreryError: ');
    expect(new OrreryError('ORRERY_C', 'c', { cause: { why: 'busy' } }).toJSON().cause).toBe(
      '{"why":"busy"}',
    );
  });

  it('keeps the brand marks out of enumerable keys', () => {
    const { BrokenError } = familyOf(OrreryError);
    const err = new BrokenError('x', { part: 'p' });
    expect(
      Object.getOwnPropertySymbols(err).every((s) => !Object.getOwnPropertyDescriptor(err, s)?.enumerable),
    ).toBe(true);
    expect(Object.keys(err).sort()).toEqual(['code', 'name', 'part']);
  });
});
