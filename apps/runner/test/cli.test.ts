import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/orrery.mjs', import.meta.url));

describe('orrery command', () => {
  it('prints its help and exits 0', () => {
    const res = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('Usage: orrery');
  });

  it('rejects an unknown command with a non-zero exit', () => {
    const res = spawnSync(process.execPath, [bin, 'no-such-command'], { encoding: 'utf8' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/^error: unknown command 'no-such-command'/m);
  });
});
