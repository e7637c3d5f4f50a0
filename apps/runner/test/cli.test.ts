import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { orreryArgv } from '../../../test/support/source-node.ts';

describe('orrery command', () => {
  it('prints its help and exits 0', () => {
    const res = spawnSync(process.execPath, orreryArgv(['--help']), { encoding: 'utf8' });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('Usage: orrery');
  });

  it('rejects an unknown command with a non-zero exit', () => {
    const res = spawnSync(process.execPath, orreryArgv(['no-such-command']), { encoding: 'utf8' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/^error: unknown command 'no-such-command'/m);
  });
});
