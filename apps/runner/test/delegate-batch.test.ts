import { InvalidArgumentError } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBatch } from '../src/delegation/batch-file.ts';
import { parseChain } from '../src/delegation/cli-options.ts';
import { runPool } from '../src/delegation/pool.ts';
import { RunnerError } from '../src/errors.ts';

const word = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim() !== '' && !/[\r\n]/.test(s));

describe('batch files', () => {
  it('property: plain and JSONL lines, mixed with blank ones, give back every prompt, task, id and line number', () => {
    const entry = fc.record({
      prompt: fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== ''),
      task: fc.option(fc.constantFrom('quick', 'review', 'heavy'), { nil: undefined }),
      id: fc.option(fc.oneof(fc.integer(), word), { nil: undefined }),
      json: fc.boolean(),
      blankBefore: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 20 }), (entries) => {
        const lines: string[] = [];
        const expected: { line: number; prompt: string; task: string; id?: string | number }[] = [];
        for (const e of entries) {
          if (e.blankBefore) lines.push('   ');
          // A prompt that cannot be a plain line (newline, edge spaces, leading "{") goes as JSON.
          const plain =
            !e.json &&
            e.task === undefined &&
            e.id === undefined &&
            !/[\r\n]/.test(e.prompt) &&
            e.prompt === e.prompt.trim() &&
            !e.prompt.startsWith('{');
          lines.push(
            plain
              ? e.prompt
              : JSON.stringify({
                  prompt: e.prompt,
                  ...(e.task === undefined ? {} : { task: e.task }),
                  ...(e.id === undefined ? {} : { id: e.id }),
                }),
          );
          expected.push({
            line: lines.length,
            prompt: e.prompt,
            task: e.task ?? 'quick',
            ...(e.id === undefined ? {} : { id: e.id }),
          });
        }
        expect(parseBatch(lines.join('\n'), 'f', 'quick')).toEqual(expected);
      }),
    );
  });

  it('names the file and line of a bad entry', () => {
    const cases: [string, RegExp][] = [
      ['ok\n{"prompt": 1}', /f line 2: prompt: /],
      ['{"prompt": "a", "tsk": "x"}', /f line 1: .*tsk/],
      ['{not json', /f line 1: not valid JSON/],
      ['{"prompt": "  "}', /f line 1: prompt: must not be empty/],
      ['\n  \n', /f: no prompts in it/],
    ];
    for (const [text, message] of cases) {
      expect(() => parseBatch(text, 'f', 'quick'), text).toThrow(RunnerError);
      expect(() => parseBatch(text, 'f', 'quick'), text).toThrow(message);
    }
  });
});

describe('--chain', () => {
  it('property: provider/model pairs round-trip; the model may contain "/"', () => {
    const provider = fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/);
    const model = fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9._:/-]{0,20}$/);
    fc.assert(
      fc.property(fc.array(fc.record({ provider, model }), { minLength: 1, maxLength: 5 }), (pairs) => {
        expect(parseChain(pairs.map((p) => `${p.provider}/${p.model}`).join(','))).toEqual(pairs);
      }),
    );
  });

  it('refuses a pair without a provider or a model', () => {
    for (const bad of ['gpt-4o', '/gpt', 'openai/', 'ollama/a,,openai/b'])
      expect(() => parseChain(bad), bad).toThrow(InvalidArgumentError);
  });
});

describe('runPool', () => {
  it('property: never more than `limit` in flight, every item once, results in input order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        async (ticks, limit) => {
          let inflight = 0;
          let peak = 0;
          const seen: number[] = [];
          const results = await runPool(ticks, limit, async (t, i) => {
            inflight += 1;
            peak = Math.max(peak, inflight);
            seen.push(i);
            for (let k = 0; k < t; k++) await Promise.resolve();
            inflight -= 1;
            return i * 2;
          });
          expect(peak).toBeLessThanOrEqual(limit);
          if (ticks.length > 0) expect(peak).toBe(Math.min(limit, ticks.length));
          expect(seen).toEqual(ticks.map((_, i) => i));
          expect(results).toEqual(ticks.map((_, i) => i * 2));
        },
      ),
    );
  });

  it('starts nothing new once the signal is aborted', async () => {
    const ctl = new AbortController();
    const results = await runPool(
      [1, 2, 3, 4, 5],
      2,
      async (x) => {
        if (x === 2) ctl.abort();
        return x;
      },
      { signal: ctl.signal },
    );
    expect(results).toEqual([1, 2, undefined, undefined, undefined]);
  });
});
