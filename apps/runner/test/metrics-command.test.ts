import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger, type LedgerEntry, openGatewayDb } from '@orrery/core';
import { tempDir } from '@orrery/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../src/cli.ts';
import type { CliIO } from '../src/commands/io.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

let dir: { path: string; remove(): void };
let configFile: string;
let dbPath: string;

beforeEach(() => {
  dir = tempDir('orrery-metrics-');
  configFile = join(dir.path, 'orrery.yaml');
  dbPath = join(dir.path, 'state', 'gateway.db');
  writeFileSync(
    configFile,
    `
gateway:
  ledger:
    referenceModel: { name: ref/paid, inputPer1k: 0.01, outputPer1k: 0.03 }
run:
  gatewayDbPath: state/gateway.db
`,
  );
});
afterEach(() => dir.remove());

function row(
  e: Partial<LedgerEntry> & Pick<LedgerEntry, 'at' | 'outcome' | 'task'>,
): Omit<LedgerEntry, 'id'> {
  return {
    mode: undefined,
    agent: 'delegate',
    chain: undefined,
    provider: 'ollama',
    model: 'llama-a',
    reason: undefined,
    code: undefined,
    message: undefined,
    critical: false,
    tokensIn: 0,
    tokensOut: 0,
    costUsd: 0,
    latencyMs: 0,
    ...e,
  };
}

/** A known ledger, written to the file the gateway uses. */
function writeLedger(now: number): void {
  mkdirSync(join(dir.path, 'state'), { recursive: true });
  const db = openGatewayDb(dbPath);
  const ledger = new Ledger(db, { name: 'x', inputPer1k: 0, outputPer1k: 0 }, () => now);
  const rows = [
    row({ at: now - HOUR, task: 'quick', outcome: 'ok', tokensIn: 1000, tokensOut: 500, latencyMs: 200 }),
    row({ at: now - 2 * HOUR, task: 'quick', outcome: 'error', code: 'ORRERY_LLM_TIMEOUT', latencyMs: 1000 }),
    row({ at: now - HOUR, task: 'quick', outcome: 'refused', reason: 'cooldown' }),
    row({
      at: now - 3 * DAY,
      task: 'review',
      outcome: 'ok',
      provider: 'openai',
      model: 'gpt-test',
      tokensIn: 2000,
      tokensOut: 1000,
      costUsd: 0.004,
      latencyMs: 600,
    }),
    row({
      at: now - 10 * DAY,
      task: 'heavy',
      outcome: 'ok',
      provider: 'openai',
      model: 'gpt-4o',
      tokensIn: 5000,
      tokensOut: 5000,
      costUsd: 0.0625,
      latencyMs: 3000,
    }),
  ];
  for (const r of rows) ledger.record(r);
  db.close();
}

async function metrics(...args: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CliIO = {
    out: (t) => stdout.push(t),
    err: (t) => stderr.push(t),
    env: {},
    cwd: dir.path,
    isTTY: false,
    signal: new AbortController().signal,
  };
  const code = await main(['node', 'orrery', 'metrics', '-c', configFile, ...args], io);
  return { code, out: stdout.join('\n'), err: stderr.join('\n') };
}

describe('orrery metrics', () => {
  it('sums a known ledger over the last 7 days: calls, tokens, latency, success rate, savings, by task and model', async () => {
    writeLedger(Date.now());
    const res = await metrics('--days', '7', '--json');
    expect(res.code).toBe(0);
    const r = JSON.parse(res.out);
    expect(r.ledger).toBe(dbPath);
    expect(r.referenceModel).toEqual({ name: 'ref/paid', inputPer1k: 0.01, outputPer1k: 0.03 });
    expect(r.total).toMatchObject({
      calls: 3,
      callsOk: 2,
      callsFailed: 1,
      refusals: 1,
      tokensIn: 3000,
      tokensOut: 1500,
      avgLatencyMs: 600,
    });
    expect(r.total.successRate).toBeCloseTo(2 / 3, 12);
    // Reference: (1000·0.01 + 500·0.03)/1000 + (2000·0.01 + 1000·0.03)/1000 = 0.025 + 0.05.
    expect(r.total.referenceCostUsd).toBeCloseTo(0.075, 12);
    expect(r.total.costUsd).toBeCloseTo(0.004, 12);
    expect(r.total.savingsUsd).toBeCloseTo(0.071, 12);
    expect(
      r.byTask.map((t: { key: string; calls: number; refusals: number; successRate: number }) => [
        t.key,
        t.calls,
        t.refusals,
        t.successRate,
      ]),
    ).toEqual([
      ['quick', 2, 1, 0.5],
      ['review', 1, 0, 1],
    ]);
    expect(
      r.byModel.map((m: { key: string; calls: number; avgLatencyMs: number }) => [
        m.key,
        m.calls,
        m.avgLatencyMs,
      ]),
    ).toEqual([
      ['ollama/llama-a', 2, 600],
      ['openai/gpt-test', 1, 600],
    ]);
  });

  it('widens with --days, and prints a readable table', async () => {
    writeLedger(Date.now());
    const wide = JSON.parse((await metrics('--days', '30', '--json')).out);
    expect(wide.total.calls).toBe(4);
    // + (5000·0.01 + 5000·0.03)/1000 = 0.2 on the reference; + 0.0625 spent.
    expect(wide.total.savingsUsd).toBeCloseTo(0.075 + 0.2 - 0.004 - 0.0625, 12);
    const text = await metrics();
    expect(text.code).toBe(0);
    expect(text.out).toContain('calls 3 (ok 2, failed 1; success 66.7 %) · refused 1 · cache hits 0');
    expect(text.out).toContain('tokens in 3,000 · out 1,500 · average latency 600 ms');
    expect(text.out).toContain('cost $0.0040 · on ref/paid $0.0750 · saved $0.0710');
    expect(text.out).toMatch(/^quick\s+2\s+50\.0 %\s+1\s+1,000\s+500\s+600 ms\s+\$0\.0000\s+\$0\.0250$/m);
    expect(text.out).toMatch(/^openai\/gpt-test\s+1\s+100\.0 %/m);
  });

  it('reports nothing recorded when the ledger file does not exist, without creating it', async () => {
    const res = await metrics();
    expect(res.code).toBe(0);
    expect(res.out).toContain('not created yet');
    expect(res.out).toContain('no LLM calls in this period');
    expect(existsSync(dbPath)).toBe(false);
  });

  it('rejects a non-positive --days', async () => {
    const res = await metrics('--days', '0');
    expect(res.code).not.toBe(0);
  });
});
