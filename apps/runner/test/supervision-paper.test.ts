import { join } from 'node:path';
import { Ledger } from '@orrery/broker';
import { type Clock, ManualClock } from '@orrery/core';
import { type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../src/commands/io.ts';
import { parseConfig } from '../src/config/load.ts';
import { type PaperOptions, runPaper } from '../src/session/paper-run.ts';
import { orrery, writeTestConfig } from './support/paper-cli.ts';

/** A spec planet whose rule compares a word (the regime's trend: up, down, range) with a number. */
const WORDS_YAML = `
    - name: words
      moons: [regime]
      prompt: "trend {{regime.trend}}"
      answer:
        type: object
        properties:
          signal: { type: number }
          confidence: { type: number }
      rules:
        - when: { moon: regime, field: trend, op: ">", value: 0 }
          signal: 1
          confidence: 1`;

const FADE_YAML = `
    - name: fade
      moons: [rsi]
      prompt: "{{symbol}} RSI {{rsi.rsi}}: fade the extremes"
      answer:
        type: object
        properties:
          signal: { type: number }
          confidence: { type: number }
      rules:
        - when: { moon: rsi, field: rsi, op: ">", value: 70 }
          signal: -0.5
          confidence: 0.6`;

interface Fault {
  child: string;
  verdict: string;
}
const faultsOf = (ledger: Ledger, run: string) =>
  ledger
    .cycles(run)
    .flatMap((c) => (c.record as { faults: Fault[] }).faults.map((f) => `${f.child}:${f.verdict}`));

const dirs: { remove(): void }[] = [];
afterAll(() => {
  for (const d of dirs) d.remove();
});

describe('supervision in wall-clock time, in orrery paper', () => {
  it('a spec planet from the config that fails on every daily bar is stopped after the configured restarts, and the summary names it', async () => {
    const d = tempDir('orrery-supervision-');
    dirs.push(d);
    const config = await writeTestConfig(
      d.path,
      `memory: false
agents:
  supervision: { maxRestarts: 2, windowMs: 3600000 }
  planets:
    specs:${FADE_YAML}${WORDS_YAML}
run:
  ledgerPath: ${join(d.path, 'ledger.db')}
  gatewayDbPath: ${join(d.path, 'gateway.db')}
  reportPath: ${join(d.path, 'report.html')}
`,
    );
    const res = orrery(d.path, [
      'paper',
      '--data',
      'btc',
      '--from',
      '2020-01-01',
      '--to',
      '2020-03-31',
      '--config',
      config,
      '--run-id',
      'sup',
    ]);
    expect(res.stderr).not.toMatch(/^error/m);
    expect(res.status).toBe(0);
    // 40 daily bars of failures would have been 40 fresh windows on bar time; on the wall clock the
    // planet is restarted twice and then stopped.
    expect(res.stdout).toMatch(
      /^supervision stopped planet:words on BTC\/USDT at 2020-\d\d-\d\d after 2 restarts \(last error: InvalidPlanetSpecError: planet 'words': rule 0 reads regime\.trend, which is "\w+", not a number\)$/m,
    );
    const ledger = Ledger.open(join(d.path, 'ledger.db'));
    try {
      expect(faultsOf(ledger, 'sup')).toEqual([
        'planet:words:restart',
        'planet:words:restart',
        'planet:words:stop',
      ]);
      const last = ledger.cycles('sup').at(-1)!.record as { planets: { planet: string; status: string }[] };
      expect(last.planets.find((p) => p.planet === 'words')?.status).toBe('stopped');
      // The healthy spec planet is consulted on every bar, from the first to the last.
      expect(
        ledger
          .cycles('sup')
          .every((c) =>
            (c.record as typeof last).planets.some((p) => p.planet === 'fade' && p.status === 'ok'),
          ),
      ).toBe(true);
    } finally {
      ledger.close();
    }
  }, 300_000);
});

describe('supervision in wall-clock time, escalating', () => {
  it('under onExhausted: escalate the run stops with the escalation after the configured restarts', async () => {
    const d = tempDir('orrery-supervision-esc-');
    dirs.push(d);
    const config = await writeTestConfig(
      d.path,
      `memory: false
agents:
  supervision: { maxRestarts: 1, windowMs: 3600000, onExhausted: escalate }
  planets:
    specs:${WORDS_YAML}
run:
  ledgerPath: ${join(d.path, 'ledger.db')}
  gatewayDbPath: ${join(d.path, 'gateway.db')}
  reportPath: ${join(d.path, 'report.html')}
`,
    );
    const res = orrery(d.path, [
      'paper',
      '--data',
      'btc',
      '--from',
      '2020-01-01',
      '--to',
      '2020-03-31',
      '--config',
      config,
      '--run-id',
      'esc',
    ]);
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(
      /^error: SupervisionEscalatedError: child 'planet:words' exhausted its restarts/m,
    );
    const ledger = Ledger.open(join(d.path, 'ledger.db'));
    try {
      // The restart and the escalation are in the committed cycles; the next step was not committed (a
      // fixed config resumes from it).
      expect(faultsOf(ledger, 'esc')).toEqual(['planet:words:restart', 'planet:words:escalate']);
      expect(ledger.getRun('esc')?.status).toBe('running');
    } finally {
      ledger.close();
    }
  }, 300_000);
});

describe('supervision times are recorded: a replay restarts and stops what the recorded run did', () => {
  const d = tempDir('orrery-supervision-replay-');
  dirs.push(d);
  let llm: LlmServer;
  const env = { OPENAI_API_KEY: 'sk-loopback', OPENAI_BASE_URL: '' };
  beforeAll(async () => {
    llm = await startLlmServer({
      respond: () => ({
        json: {
          plan: ['x'],
          signal: 0.4,
          confidence: 0.6,
          reasons: ['loopback'],
          type: 'decision',
          forecast: 0.5,
          rationale: 'r',
          verdict: 'approve',
          scale: 1,
          summary: 's',
          sentiment: 0,
        },
      }),
    });
    env.OPENAI_BASE_URL = `${llm.url}/v1`;
  });
  afterAll(async () => llm.close());

  const io: CliIO = {
    out: () => undefined,
    err: () => undefined,
    env,
    cwd: d.path,
    isTTY: false,
    signal: new AbortController().signal,
  };
  const options = (runId: string, clock: Clock, extra: Partial<PaperOptions> = {}): PaperOptions => ({
    loaded: parseConfig(
      {
        memory: false,
        gateway: { budget: { maxCallsPerHour: 1_000_000, maxTokensPerHour: 1_000_000_000 } },
        agents: {
          supervision: { maxRestarts: 2, windowMs: 60_000 },
          planets: {
            specs: [
              {
                name: 'words',
                moons: ['regime'],
                prompt: 'trend {{regime.trend}}',
                answer: {
                  type: 'object',
                  properties: { signal: { type: 'number' }, confidence: { type: 'number' } },
                },
                rules: [
                  { when: { moon: 'regime', field: 'trend', op: '>', value: 0 }, signal: 1, confidence: 1 },
                ],
              },
            ],
          },
        },
        run: {
          ledgerPath: join(d.path, 'ledger.db'),
          gatewayDbPath: join(d.path, 'gateway.db'),
          reportPath: join(d.path, '{runId}.html'),
        },
      },
      { source: 'test', baseDir: d.path, env },
    ),
    data: { source: 'btc' },
    from: '2020-01-01',
    to: '2020-03-31',
    runId,
    progress: false,
    supervisionClock: clock,
    ...extra,
  });
  /** A wall clock on which every step is two hours after the previous one (a slow machine). */
  const slow = (): Clock => {
    let t = Date.UTC(2026, 0, 1);
    return { now: () => (t += 7_200_000) };
  };

  it('on a slow wall clock every failure is in a new window; its replay, on a frozen clock, restarts just the same', async () => {
    await runPaper(options('slow', slow()), io);
    const frozen = new ManualClock();
    const replay = await runPaper(options('again', frozen, { replay: 'slow' }), io);
    await runPaper(options('fast', new ManualClock()), io);
    const ledger = Ledger.open(join(d.path, 'ledger.db'));
    try {
      const recorded = faultsOf(ledger, 'slow');
      expect(recorded.length).toBeGreaterThan(10);
      expect(new Set(recorded)).toEqual(new Set(['planet:words:restart']));
      // The replay ignored its own (frozen) clock and followed the recorded readings.
      expect(faultsOf(ledger, 'again')).toEqual(recorded);
      expect(replay.replay).toMatchObject({ sameDecisions: true, sameFills: true });
      // The same frozen clock outside a replay: two restarts, then stopped.
      expect(faultsOf(ledger, 'fast')).toEqual([
        'planet:words:restart',
        'planet:words:restart',
        'planet:words:stop',
      ]);
    } finally {
      ledger.close();
    }
  }, 300_000);
});
