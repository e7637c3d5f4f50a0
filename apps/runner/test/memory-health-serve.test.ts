import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChromaServer } from '@orrery/memory';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheus } from './support/prometheus-parse.ts';
import { startOrreryProcess } from './support/serve-process.ts';

/** Satisfies every schema the agents ask for (their zod objects ignore unknown keys). */
const ANSWER = {
  plan: ['read the moons'],
  signal: 0.6,
  confidence: 0.7,
  reasons: ['loopback model'],
  type: 'decision',
  forecast: 0.9,
  rationale: 'loopback sun',
  verdict: 'approve',
  scale: 1,
  summary: 'nothing',
  sentiment: 0,
  fragility: 0.3,
  drivers: ['loopback'],
  watch: 'nothing',
};

/** The provider request at which the test kills Chroma (the run is then mid-way, waiting on the answer). */
const KILL_AT = 12;

describe('issue 18 item 6: serve reports the degraded periods of a run whose Chroma died', () => {
  const dir = tempDir('orrery-memory-health-');
  let llm: LlmServer;
  let chroma: ChromaServer;
  let requests = 0;
  let killedAtRequest = 0;
  beforeAll(async () => {
    chroma = await ChromaServer.start({ dataDir: join(dir.path, 'chroma') });
    llm = await startLlmServer({
      respond: async () => {
        requests++;
        if (killedAtRequest === 0 && requests >= KILL_AT) {
          killedAtRequest = requests;
          process.kill(chroma.pid, 'SIGKILL');
          await chroma.stop();
        }
        return { json: ANSWER };
      },
    });
  });
  afterAll(async () => {
    await llm.close();
    await chroma.stop();
    dir.remove();
  });

  it('orrery paper writes the index state into its ledger; /metrics and /control show the outage', async () => {
    const config = join(dir.path, 'orrery.yaml');
    writeFileSync(
      config,
      [
        'gateway:',
        '  providers:',
        '    openai:',
        `      baseUrl: ${llm.url}/v1`,
        '  routing:',
        '    localBaseUrl: http://127.0.0.1:9/v1',
        '    default:',
        '      prefer: [{ provider: openai, model: gpt-4o-mini }]',
        'memory:',
        `  dbPath: ${join(dir.path, 'memory.db')}`,
        '  chroma:',
        '    mode: external',
        `    url: ${chroma.url}`,
        'learning: false',
        // every bar reasons, so every bar is an episode for the index
        'agents: { mode: { minChangedForLight: 0 } }',
        '',
      ].join('\n'),
    );
    const env = { OPENAI_API_KEY: 'sk-loopback' };
    const args = ['--config', config];
    const paper = startOrreryProcess(
      dir.path,
      ['paper', '--data', 'btc', '--from', '2020-01-01', '--to', '2020-03-31', '--run-id', 'mem', ...args],
      env,
    );
    expect(await paper.exited, paper.stderr()).toBe(0);
    expect(killedAtRequest).toBe(KILL_AT);
    // The summary says so (as before)…
    const note =
      /memory: similarity index down 1 time\(s\), \d+ min in all; (\d+) of (\d+) episodes not indexed \(still down\)/.exec(
        paper.stdout() + paper.stderr(),
      );
    expect(note, paper.stderr()).not.toBeNull();
    const [unindexed, episodes] = [Number(note![1]), Number(note![2])];
    expect(unindexed).toBeGreaterThan(0);
    expect(episodes).toBeGreaterThan(unindexed); // some were indexed before the kill

    // …and serve, on the same run ledger, exposes it.
    const serve = startOrreryProcess(
      dir.path,
      ['serve', '--port', '0', '--gateway-db', ':memory:', ...args],
      env,
    );
    try {
      const url = (await serve.line(/listening on (http:\/\/\S+)/))[1]!;
      const metrics = parsePrometheus(await (await fetch(`${url}/metrics`)).text());
      const value = (name: string, labels: Record<string, string> = {}) =>
        metrics.find(
          (s) =>
            s.name === name && Object.entries({ run: 'mem', ...labels }).every(([k, v]) => s.labels[k] === v),
        )?.value;
      expect(value('orrery_memory_index_up')).toBe(0);
      expect(value('orrery_memory_index_state', { state: 'down' })).toBe(1);
      expect(value('orrery_memory_index_state', { state: 'ok' })).toBe(0);
      expect(value('orrery_memory_degraded_periods')).toBe(1);
      expect(value('orrery_memory_degraded_seconds')).toBeGreaterThan(0);
      expect(value('orrery_memory_unindexed_episodes')).toBe(unindexed);
      expect(value('orrery_memory_episodes')).toBe(episodes);

      const status = (await (await fetch(`${url}/control/runs/mem`)).json()) as {
        memory: { index: string; periods: { from: number; to: number | null }[]; unindexed: number };
      };
      expect(status.memory).toMatchObject({ index: 'down', unindexed });
      expect(status.memory.periods).toHaveLength(1);
      expect(status.memory.periods[0]!.to).toBeNull();
    } finally {
      serve.child.kill('SIGTERM');
      await serve.exited;
    }
    // `orrery control status` says it too.
    const status = startOrreryProcess(dir.path, ['control', 'status', '--run', 'mem', ...args], env);
    expect(await status.exited, status.stderr()).toBe(0);
    expect(status.stdout()).toMatch(
      new RegExp(
        `Memory: +similarity index down; down 1 time\\(s\\), \\d+ s in all; ${unindexed} of ${episodes} episodes not indexed`,
      ),
    );
  }, 300_000);
});
