import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSolarSystemConfig } from '@orrery/agents';
import { loadDataSource } from '@orrery/feeds';
import {
  type LlmRecordedRequest,
  type LlmReply,
  type LlmServer,
  startLlmServer,
  tempDir,
} from '@orrery/testkit';
import { WorkflowEngine } from '@orrery/workflow';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { orreryArgv } from '../../../test/support/source-node.ts';
import { main } from '../src/cli.ts';
import type { CliIO } from '../src/commands/io.ts';
import { workflowAgents } from '../src/workflows/registry.ts';
import { cleanEnv, writeTestConfig } from './support/paper-cli.ts';

/** A workflow over the runner's agents: a market summary, a planet's signal, and an LLM summary of both. */
const WORKFLOW = {
  id: 'btc-brief',
  steps: [
    {
      id: 'market',
      agent: 'market_summary',
      inputs: { data: { value: 'btc' }, from: { value: '2020-01-01' }, to: { value: '2020-03-31' } },
    },
    {
      id: 'trend',
      agent: 'planet_signal',
      inputs: { data: { value: 'btc' }, planet: { value: 'technical' }, to: { value: '2020-03-31' } },
    },
    {
      id: 'brief',
      agent: 'summarise',
      inputs: { text: { from: 'market' }, instruction: { value: 'one line' } },
      dependsOn: ['trend'],
    },
  ],
  outputs: {
    ret: { from: 'market.returnPct' },
    signal: { from: 'trend.signal' },
    brief: { from: 'brief.summary' },
  },
};

const isPlan = (r: LlmRecordedRequest) => JSON.stringify(r.body).includes('You plan workflows');

let llm: LlmServer;
let planReplies: LlmReply[] = [];
let summaryReply: () => LlmReply = () => ({ text: 'BTC fell in Q1 2020.' });
beforeAll(async () => {
  llm = await startLlmServer({
    respond: (r) => (isPlan(r) ? (planReplies.shift() ?? { json: WORKFLOW }) : summaryReply()),
  });
});
afterAll(async () => llm.close());
beforeEach(() => {
  llm.reset();
  planReplies = [];
  summaryReply = () => ({ text: 'BTC fell in Q1 2020.' });
});

const dirs: { remove(): void }[] = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});
async function workDir(): Promise<{ dir: string; config: string; env: Record<string, string | undefined> }> {
  const d = tempDir('orrery-workflow-');
  dirs.push(d);
  const config = await writeTestConfig(d.path);
  return { dir: d.path, config, env: { OPENAI_API_KEY: 'sk-loopback', OPENAI_BASE_URL: `${llm.url}/v1` } };
}

async function cli(w: { dir: string; env: Record<string, string | undefined> }, args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: w.env,
    cwd: w.dir,
    isTTY: false,
    signal: new AbortController().signal,
  };
  const code = await main(['node', 'orrery', ...args], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('orrery workflow plan', () => {
  it('one LLM call turns a request into a validated workflow file', async () => {
    const w = await workDir();
    const res = await cli(w, [
      'workflow',
      'plan',
      'Brief me on BTC in Q1 2020',
      '--out',
      'brief.json',
      '-c',
      w.config,
    ]);
    expect(res.err).not.toMatch(/^error/m);
    expect(res.code).toBe(0);
    expect(llm.requests).toHaveLength(1);
    expect(JSON.stringify(llm.requests[0]!.body)).toContain('Brief me on BTC in Q1 2020');
    // The planner was shown the runner's agents.
    for (const agent of ['market_summary', 'planet_signal', 'summarise'])
      expect(JSON.stringify(llm.requests[0]!.body)).toContain(agent);
    expect(res.out).toContain('workflow btc-brief: 3 step(s), valid (first answer); written to');
    expect(JSON.parse(readFileSync(join(w.dir, 'brief.json'), 'utf8'))).toMatchObject({ id: 'btc-brief' });
  });

  it('an invalid plan is repaired once (a second call that shows the problems)', async () => {
    const w = await workDir();
    planReplies = [
      { json: { ...WORKFLOW, steps: [{ id: 'x', agent: 'fetch_prices' }] } },
      { json: WORKFLOW },
    ];
    const res = await cli(w, ['workflow', 'plan', 'Brief me', '--out', 'b.json', '-c', w.config]);
    expect(res.code).toBe(0);
    expect(llm.requests).toHaveLength(2);
    expect(JSON.stringify(llm.requests[1]!.body)).toContain('fetch_prices');
    expect(res.out).toContain('valid (after one repair)');
    expect(existsSync(join(w.dir, 'b.json'))).toBe(true);
  });

  it('twice invalid is rejected: no file, a stable code', async () => {
    const w = await workDir();
    const bad = { json: { ...WORKFLOW, steps: [{ id: 'x', agent: 'fetch_prices' }] } };
    planReplies = [bad, bad, bad];
    const res = await cli(w, ['workflow', 'plan', 'Brief me', '--out', 'b.json', '-c', w.config]);
    expect(res.code).toBe(1);
    expect(llm.requests).toHaveLength(2);
    expect(res.err).toMatch(
      /^error: ORRERY_WORKFLOW_PLAN_REJECTED: plan rejected after 2 answers .*fetch_prices/m,
    );
    expect(existsSync(join(w.dir, 'b.json'))).toBe(false);
  });
});

describe('orrery workflow run', () => {
  it('runs a workflow file with the engine; its LLM step goes through the gateway', async () => {
    const w = await workDir();
    writeFileSync(join(w.dir, 'wf.json'), JSON.stringify(WORKFLOW));
    const res = await cli(w, ['workflow', 'run', 'wf.json', '--run-id', 'r1', '-c', w.config]);
    expect(res.err).not.toMatch(/^error/m);
    expect(res.code).toBe(0);
    const out = JSON.parse(res.out);
    expect(out).toMatchObject({
      runId: 'r1',
      status: 'succeeded',
      outputs: { brief: 'BTC fell in Q1 2020.' },
    });
    const q1 = loadDataSource({ source: 'btc' }).bars.filter(
      (b) => b.time >= Date.UTC(2020, 0, 1) && b.time < Date.UTC(2020, 3, 1),
    );
    expect(out.outputs.ret).toBeCloseTo((q1.at(-1)!.close / q1[0]!.close - 1) * 100, 9);
    expect(out.outputs.signal).toBeGreaterThanOrEqual(-1);
    expect(llm.requests).toHaveLength(1);
    expect(JSON.stringify(llm.requests[0]!.body)).toContain('returnPct');
  });

  it('a 429 makes the gateway cool down: the next run is refused without a provider call', async () => {
    const w = await workDir();
    writeFileSync(join(w.dir, 'wf.json'), JSON.stringify(WORKFLOW));
    summaryReply = () => ({ status: 429, retryAfter: 600 });
    const first = await cli(w, ['workflow', 'run', 'wf.json', '--run-id', 'a', '-c', w.config]);
    expect(first.code).toBe(1);
    expect(JSON.parse(first.out.slice(0, first.out.lastIndexOf('}') + 1))).toMatchObject({
      status: 'failed',
    });
    expect(first.err).toMatch(/ORRERY_WORKFLOW_STEP_FAILED/);
    expect(llm.requests).toHaveLength(1);
    const second = await cli(w, ['workflow', 'run', 'wf.json', '--run-id', 'b', '-c', w.config]);
    expect(second.code).toBe(1);
    expect(second.out).toMatch(/cooling down|ORRERY_LLM_COOLING_DOWN/i);
    expect(llm.requests).toHaveLength(1);
  });

  it('resumes after kill -9 of a real orrery process: finished steps are not run again', async () => {
    const w = await workDir();
    writeFileSync(join(w.dir, 'wf.json'), JSON.stringify(WORKFLOW));
    summaryReply = () => ({ text: 'never sent', delayMs: 120_000 });
    const env = { ...cleanEnv(), ...w.env };
    const child = spawn(
      process.execPath,
      orreryArgv(['workflow', 'run', 'wf.json', '--run-id', 'k', '-c', w.config]),
      {
        cwd: w.dir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((r) =>
      child.once('exit', (_code, signal) => r(signal)),
    );
    // The summary's LLM call is in flight: the first two steps have finished and are recorded.
    while (llm.requests.length === 0) {
      if (child.exitCode !== null) throw new Error(`orrery exited early: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(stderr).toContain('step market: succeeded');

    summaryReply = () => ({ text: 'BTC fell in Q1 2020.' });
    const res = await cli(w, ['workflow', 'run', 'wf.json', '--resume', '--run-id', 'k', '-c', w.config]);
    expect(res.err).not.toMatch(/^error/m);
    expect(res.code).toBe(0);
    expect(res.err).toContain('resuming run');
    expect(JSON.parse(res.out)).toMatchObject({
      runId: 'k',
      status: 'succeeded',
      outputs: { brief: 'BTC fell in Q1 2020.' },
    });
    expect(llm.requests).toHaveLength(2);

    // The progress database: market and trend started once (before the kill), brief twice.
    const engine = new WorkflowEngine({
      registry: workflowAgents({ agents: parseSolarSystemConfig({}), cwd: w.dir }),
      dbPath: join(w.dir, '.orrery', 'workflows.db'),
    });
    try {
      const starts = engine
        .inspect('k')!
        .events.filter((e) => e.kind === 'start')
        .map((e) => e.stepId);
      expect(starts.sort()).toEqual(['brief', 'brief', 'market', 'trend']);
    } finally {
      await engine.close();
    }
  }, 120_000);

  it('refuses a file that is not a valid workflow, saying what is wrong; nothing runs', async () => {
    const w = await workDir();
    writeFileSync(
      join(w.dir, 'bad.json'),
      JSON.stringify({ ...WORKFLOW, steps: [{ id: 'a', agent: 'nope' }] }),
    );
    const res = await cli(w, ['workflow', 'run', 'bad.json', '-c', w.config]);
    expect(res.code).toBe(1);
    expect(res.err).toMatch(/^error: ORRERY_WORKFLOW_INVALID: .*nope/m);
    expect(llm.requests).toHaveLength(0);
  });
});
