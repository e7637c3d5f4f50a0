import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { orrery, writeTestConfig } from './support/paper-cli.ts';

const dirs: { remove(): void }[] = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;

describe('orrery paper --learning on|off|both', () => {
  it('both: the same data with learning on and off, each run in the ledger, the difference printed', async () => {
    const d = tempDir('orrery-learning-effect-');
    dirs.push(d);
    const config = await writeTestConfig(d.path, 'memory: false\n');
    const args = ['paper', '--config', config, '--data', 'spy', '--from', '2014-01-01', '--to', '2017-12-31'];
    const res = orrery(d.path, [...args, '--no-progress', '--learning', 'both', '--run-id', 'cmp']);
    expect(res.stderr).not.toMatch(/ORRERY_/);
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('Learning effect (cmp-learning-on vs cmp-learning-off):');
    const ledger = Ledger.open(join(d.path, '.orrery', 'ledger.db'));
    try {
      const ret = (id: string) => {
        const curve = ledger.equityCurve(id);
        return curve.at(-1)!.equity / ledger.getRun(id)!.settings.initialCash - 1;
      };
      const on = ret('cmp-learning-on');
      const off = ret('cmp-learning-off');
      expect(ledger.equityCurve('cmp-learning-on')).toHaveLength(
        ledger.equityCurve('cmp-learning-off').length,
      );
      const table = res.stdout.slice(res.stdout.indexOf('Learning effect ('));
      const row = table.split('\n').find((l) => l.startsWith('Total return'))!;
      const cells = row.split(/\s{2,}/).slice(1);
      expect(cells.slice(0, 2)).toEqual([pct(on), pct(off)]);
      expect(cells[2]).toBe(`${on - off < 0 ? '' : '+'}${pct(on - off)}`);
    } finally {
      ledger.close();
    }
    // each run wrote its own report
    expect(res.stdout.match(/^Report: /gm)).toHaveLength(2);

    const off = orrery(d.path, [...args, '--no-progress', '--learning', 'off', '--run-id', 'plain']);
    expect(off.status).toBe(0);
    const bad = orrery(d.path, [...args, '--no-progress', '--learning', 'sideways']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('--learning must be on, off or both');
  }, 240_000);

  it('agents.cache is in the configuration schema, per task', () => {
    const res = orrery(process.cwd(), ['config', 'schema']);
    expect(res.status).toBe(0);
    const schema = JSON.parse(res.stdout);
    const cache = schema.properties.agents.properties.cache;
    expect(Object.keys(cache.properties)).toEqual(['enabled', 'ttlMs', 'tasks']);
    expect(Object.keys(cache.properties.tasks.additionalProperties.properties)).toEqual(['enabled', 'ttlMs']);
  });
});
