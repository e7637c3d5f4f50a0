import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Ledger } from '@orrery/broker';
import { type NatsServerHandle, startNatsServer, tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orreryAsync, writeTestConfig } from './support/paper-cli.ts';
import { type OrreryProcess, startOrreryProcess } from './support/serve-process.ts';

let nats: NatsServerHandle;
let dir: { path: string; remove(): void };
let config: string;
const workers: OrreryProcess[] = [];

/** Starts an `orrery planet technical` worker (deterministic, no LLM) and waits until it answers. */
async function worker(): Promise<OrreryProcess> {
  const w = startOrreryProcess(
    dir.path,
    ['planet', 'technical', '--nats', nats.url, '--no-llm', '--config', config],
    {},
  );
  workers.push(w);
  await w.line(/orrery planet: technical answering orrery\.planet\.technical/);
  return w;
}

/** One `orrery paper` run over [from, to] of the bundled BTC data: its exit status and technical reports. */
async function paper(runId: string, from: string, to: string, during?: () => Promise<void>) {
  const run = orreryAsync(dir.path, [
    'paper',
    '--data',
    'btc',
    '--from',
    from,
    '--to',
    to,
    '--no-memory',
    '--no-progress',
    '--config',
    config,
    '--run-id',
    runId,
  ]);
  await during?.();
  const res = await run;
  const ledger = Ledger.open(join(dir.path, '.orrery', 'ledger.db'));
  try {
    const consulted = ledger
      .cycles(runId)
      .map((c) => c.record as { mode: string; planets: { planet: string; status: string; error?: string }[] })
      .filter((r) => r.mode !== 'MONITOR_ONLY')
      .map((r) => r.planets.find((p) => p.planet === 'technical')!);
    return { ...res, consulted };
  } finally {
    ledger.close();
  }
}

beforeAll(async () => {
  nats = await startNatsServer();
  dir = tempDir('orrery-transport-');
  config = await writeTestConfig(
    dir.path,
    `agents:\n  transport:\n    kind: nats\n    url: ${nats.url}\n    planets: [technical]\n    timeoutMs: 8000\n`,
  );
});
afterAll(async () => {
  for (const w of workers) w.child.kill('SIGKILL');
  await nats?.stop();
  dir?.remove();
});

// Four paper runs and five worker processes: minutes on a loaded machine, so the test's own limit is wide
// and the remote time limit (8 s) is far above a loaded worker's answer; with no worker at all NATS says
// "no responders" at once, so phase 3 does not wait for it.
describe('agents.transport: nats — planets on other machines, by config', () => {
  it('two workers share the load, a killed one is not missed, none left means timeouts, a new one answers again', {
    timeout: 300_000,
  }, async () => {
    const a = await worker();
    const b = await worker();

    // 1. Two workers (a queue group): the sun's requests are shared, each answered once.
    const r1 = await paper('two', '2020-01-01', '2020-06-30');
    expect(r1.status).toBe(0);
    expect(r1.stderr).toMatch(/planets technical consulted over NATS/);
    expect(r1.consulted.length).toBeGreaterThan(5);
    expect(r1.consulted.every((p) => p.status === 'ok')).toBe(true);
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    await Promise.all([a.exited, b.exited]);
    const answered = [a, b].map((w) => Number(/stopping after (\d+) analyses/.exec(w.stderr())?.[1] ?? -1));
    expect(answered[0]! + answered[1]!).toBe(r1.consulted.length);
    expect(Math.min(...answered)).toBeGreaterThan(0);

    // 2. One worker is killed while a run is going on: the other answers; at most the request in flight is lost.
    const c = await worker();
    const d = await worker();
    const r2 = await paper('kill', '2020-01-01', '2020-12-31', async () => {
      await sleep(1_500);
      c.child.kill('SIGKILL');
    });
    expect(r2.status).toBe(0);
    expect(r2.consulted.filter((p) => p.status !== 'ok').length).toBeLessThanOrEqual(1);

    // 3. No worker left: the planet times out in every consulted cycle, and the run goes on with the others.
    d.child.kill('SIGKILL');
    await d.exited;
    const r3 = await paper('none', '2020-01-01', '2020-02-29');
    expect(r3.status).toBe(0);
    expect(r3.consulted.length).toBeGreaterThan(0);
    expect(r3.consulted.every((p) => p.status === 'timeout')).toBe(true);
    expect(r3.consulted[0]?.error).toMatch(/no worker for planet\.technical answered/);

    // 4. A worker comes back: the same configuration is answered again.
    await worker();
    const r4 = await paper('back', '2020-01-01', '2020-02-29');
    expect(r4.status).toBe(0);
    expect(r4.consulted.every((p) => p.status === 'ok')).toBe(true);
  });
});
