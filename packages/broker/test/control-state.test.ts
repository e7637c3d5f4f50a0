import { describe, expect, it } from 'vitest';
import { controlCommandSchema } from '../src/control/command.ts';
import { applyCommand, type ControlState, emptyControlState } from '../src/control/state.ts';

const ctx = { time: 7, held: ['BTC'], pending: (id: string) => id === 'A1' };
const by = { by: 'ann', reason: 'test' };

/** Applies the commands in turn from no instruction; returns each note and the final state. */
function run(...inputs: object[]): { notes: string[]; voids: boolean[]; state: ControlState } {
  let state = emptyControlState();
  const notes: string[] = [];
  const voids: boolean[] = [];
  for (const input of inputs) {
    const r = applyCommand(state, controlCommandSchema.parse({ ...input, ...by }), ctx);
    notes.push(r.note);
    voids.push(r.void);
    state = r.state;
  }
  return { notes, voids, state };
}

describe('applyCommand says what each command did', () => {
  it('pause, resume, flatten', () => {
    const r = run({ kind: 'resume' }, { kind: 'pause' }, { kind: 'resume' }, { kind: 'flatten' });
    expect(r.notes).toEqual(['was not paused', 'paused', 'resumed', 'closing BTC']);
    expect(r.state.flattening).toEqual({ BTC: { ...by, since: 7 } });
    expect(applyCommand(emptyControlState(), { kind: 'flatten', ...by }, { ...ctx, held: [] }).note).toBe(
      'no open position',
    );
  });

  it('block, unblock, force, unforce', () => {
    const r = run(
      { kind: 'unblock', symbol: 'BTC' },
      { kind: 'block', symbol: 'BTC' },
      { kind: 'unblock', symbol: 'BTC' },
      { kind: 'unforce', symbol: 'ETH' },
      { kind: 'force', symbol: 'ETH', target: -0 },
      { kind: 'force', symbol: 'BTC', target: 0.5 },
      { kind: 'unforce', symbol: 'ETH' },
    );
    expect(r.notes).toEqual([
      'BTC was not blocked',
      'BTC blocked',
      'BTC unblocked',
      'ETH was not forced',
      'ETH held at 0 of equity',
      'BTC held at 0.5 of equity',
      'ETH back to the agents',
    ]);
    expect(r.state.blocked).toEqual({});
    expect(r.state.forced).toEqual({ BTC: { ...by, since: 7, target: 0.5 } });
  });

  it('require-approval on and off; approve and reject, void when no longer pending', () => {
    const r = run(
      { kind: 'require-approval', threshold: 0.2, expireBars: 3 },
      { kind: 'approve', approval: 'A1' },
      { kind: 'reject', approval: 'A2' },
      { kind: 'require-approval', threshold: null },
    );
    expect(r.notes).toEqual([
      'decisions above 0.2 of equity wait for approval (3 bars)',
      'A1 approved',
      'A2 was no longer pending',
      'approval mode off',
    ]);
    expect(r.voids).toEqual([false, false, true, false]);
    expect(r.state.approval).toBeNull();
    expect(applyCommand(emptyControlState(), { kind: 'reject', approval: 'A1', ...by }, ctx).decide).toEqual({
      approval: 'A1',
      verdict: 'rejected',
    });
  });
});
