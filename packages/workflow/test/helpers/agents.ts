import { z } from 'zod';
import {
  type AgentDefinition,
  type AgentRegistry,
  createAgentRegistry,
  type IntelligenceLevel,
} from '../../src/index.ts';

/** A registry of small deterministic agents: prices → mean → report. */
export function sampleRegistry(): AgentRegistry {
  return createAgentRegistry()
    .register('prices', {
      description: 'Closing prices of a symbol',
      inputs: z.object({ symbol: z.string().describe('ticker, e.g. BTC') }),
      output: z.object({ closes: z.array(z.number()), last: z.number() }),
      run: ({ symbol }) => {
        const closes = symbol === 'BTC' ? [100, 102, 104] : [10, 11, 12];
        return { closes, last: closes[closes.length - 1] as number };
      },
    })
    .register('mean', {
      description: 'Arithmetic mean of numbers',
      inputs: z.object({ values: z.array(z.number()).describe('the numbers') }),
      output: z.object({ value: z.number() }),
      run: ({ values }) => ({ value: values.reduce((a, b) => a + b, 0) / values.length }),
    })
    .register('report', {
      description: 'Formats a one-line report',
      inputs: z.object({ title: z.string(), value: z.number(), note: z.string().optional() }),
      output: z.object({ text: z.string() }),
      run: ({ title, value, note }) => ({
        text: `${title}: ${value}${note === undefined ? '' : ` (${note})`}`,
      }),
    });
}

/** A deferred promise the test resolves or rejects when it chooses. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Waits until `check` holds, polling on the event loop (a condition, not a fixed sleep). Gives up after
 * `timeoutMs` of wall time (generous: loopback HTTP on a loaded machine can be slow).
 */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** An agent definition whose output is `{ v: number }`, driven by a function. */
export function numberAgent(
  run: AgentDefinition<
    z.ZodObject<{ x: z.ZodOptional<z.ZodNumber> }>,
    z.ZodObject<{ v: z.ZodNumber }>
  >['run'],
  extra: { intelligence?: IntelligenceLevel; alternatives?: string[]; description?: string } = {},
): AgentDefinition<z.ZodObject<{ x: z.ZodOptional<z.ZodNumber> }>, z.ZodObject<{ v: z.ZodNumber }>> {
  return {
    description: extra.description ?? 'produces a number',
    inputs: z.object({ x: z.number().optional() }),
    output: z.object({ v: z.number() }),
    run,
    ...(extra.intelligence === undefined ? {} : { intelligence: extra.intelligence }),
    ...(extra.alternatives === undefined ? {} : { alternatives: extra.alternatives }),
  };
}

/** A scheduler whose sleeps end only when the test fires them (time limits, retry delays). */
export class ManualScheduler {
  readonly pending: { ms: number; resolve(): void }[] = [];
  /** Every delay asked for, in order (fired or not). */
  readonly requested: number[] = [];

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.requested.push(ms);
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const entry = {
        ms,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.pending.indexOf(entry);
        if (i >= 0) this.pending.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.push(entry);
    });
  }

  /** Ends every pending sleep of `ms` milliseconds (all of them when omitted); returns how many. */
  fire(ms?: number): number {
    const due = this.pending.filter((p) => ms === undefined || p.ms === ms);
    for (const p of due) {
      this.pending.splice(this.pending.indexOf(p), 1);
      p.resolve();
    }
    return due.length;
  }
}
