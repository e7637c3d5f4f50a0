import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createReplayGateway,
  type Gateway,
  type LLMRequest,
  LLMResponseFormatError,
  parseGatewayConfig,
  RecordingStore,
  recordingGateway,
  secretRedactor,
} from '../src/index.ts';
import { type Harness, harness, loopbackConfig, OPENAI_KEY } from './harness.ts';

/** A key nobody configured, only shaped like one. */
const SHAPED = 'sk-proj-SomeoneElsesKey1234567890abcdef';
const answerSchema = z.object({ action: z.enum(['buy', 'sell']), note: z.string() });

const ask = (content: string, extra: Partial<LLMRequest<unknown>> = {}): LLMRequest<unknown> => ({
  task: 'planet_analysis',
  messages: [
    { role: 'system', content: 'You are a test.' },
    { role: 'user', content },
  ],
  ...extra,
});

/** Every byte SQLite keeps for the file at `path`: the database, its WAL and shared-memory files. */
function rawBytes(path: string): Buffer {
  return Buffer.concat(
    [path, `${path}-wal`, `${path}-shm`].filter((p) => existsSync(p)).map((p) => readFileSync(p)),
  );
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('LLM recordings hold no secret (issue 18)', () => {
  it('stores prompts, answers, failures and cached answers redacted; a replay gives the same answers', async () => {
    h = await harness();
    const store = RecordingStore.open(h.dbPath);
    const gateway = h.gateway();
    const live = recordingGateway(gateway, { store, runId: 'secret', clock: h.clock });
    h.server.script('cheap', [
      { json: { action: 'buy', note: `my key is ${OPENAI_KEY}, also ${SHAPED}` } },
      { text: `plain words with ${OPENAI_KEY}` },
      { text: `not json at all ${OPENAI_KEY}` },
      { json: { action: 'sell', note: `cached ${SHAPED}` } },
    ]);
    const asks = [
      ask(`my prompt carries ${OPENAI_KEY}`, { schema: answerSchema }),
      ask('say something'),
      ask('answer in JSON', { schema: answerSchema }),
      ask('cache this', { schema: answerSchema, cache: { key: 'secret:planet:BTC', ttlMs: 60_000 } }),
    ];
    const first = await live.execute(asks[0]!);
    // The caller gets the answer as it was recorded: redacted, and parsed from the redacted text.
    expect(first.text).not.toContain(OPENAI_KEY);
    expect(first.text).not.toContain(SHAPED);
    expect(first.parsed).toEqual({ action: 'buy', note: 'my key is [redacted], also [redacted]' });
    const second = await live.execute(asks[1]!);
    expect(second.text).toBe('plain words with [redacted]');
    const failed = await live.execute(asks[2]!).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(LLMResponseFormatError);
    expect((failed as LLMResponseFormatError).raw).toBe('not json at all [redacted]');
    const cached = await live.execute(asks[3]!);
    expect(cached.parsed).toEqual({ action: 'sell', note: 'cached [redacted]' });
    // the request went out with the key, as it must: only what is stored is redacted
    expect(JSON.stringify(h.server.requests[0]?.body)).toContain(OPENAI_KEY);
    await gateway.close();
    store.close();

    const bytes = rawBytes(h.dbPath);
    expect(bytes.length).toBeGreaterThan(0);
    expect(bytes.includes('[redacted]')).toBe(true); // the answers are there…
    expect(bytes.includes(OPENAI_KEY)).toBe(false); // …without the keys
    expect(bytes.includes(SHAPED)).toBe(false);

    const replayStore = RecordingStore.open(h.dbPath);
    try {
      const config = parseGatewayConfig(loopbackConfig(h.server), {});
      const replay = createReplayGateway({ store: replayStore, runId: 'secret', config });
      const again = await replay.execute(asks[0]!);
      expect([again.text, again.parsed]).toEqual([first.text, first.parsed]);
      expect((await replay.execute(asks[1]!)).text).toBe(second.text);
      const refailed = await replay.execute(asks[2]!).catch((e: unknown) => e);
      expect(refailed).toBeInstanceOf(LLMResponseFormatError);
      expect((refailed as LLMResponseFormatError).raw).toBe('not json at all [redacted]');
      expect((await replay.execute(asks[3]!)).parsed).toEqual(cached.parsed);
      expect(replay.replayReport()).toMatchObject({ served: 4, missing: [], unused: 0 });
      await replay.close();

      // A prompt that holds `[redacted]` where the recorded one held the key (a later prompt quoting a
      // replayed answer) is the same request: the hash is taken on the redacted prompt.
      const quoting = createReplayGateway({ store: replayStore, runId: 'secret', config });
      const quoted = await quoting.execute(ask('my prompt carries [redacted]', { schema: answerSchema }));
      expect(quoted.parsed).toEqual(first.parsed);
      await quoting.close();
    } finally {
      replayStore.close();
    }
  });

  it('removing a run removes its recordings and the cache entries it owned, not another run', async () => {
    h = await harness();
    const store = RecordingStore.open(h.dbPath);
    const scoped = (run: string) =>
      ask('cache this', { schema: answerSchema, cache: { key: `${run}:planet:BTC`, ttlMs: 60_000 } });
    h.server.setDefault(() => ({ json: { action: 'buy', note: 'n' } }));
    // One gateway per run, on the same database (recording is middleware installed on a gateway).
    const live = new Map<string, Gateway>();
    for (const run of ['gone', 'kept']) {
      const g = recordingGateway(h.gateway(), { store, runId: run, clock: h.clock });
      live.set(run, g);
      await g.execute(scoped(run));
      await g.execute(ask(`uncached ${run}`));
      store.checkpoint(run, 1);
    }
    const gateway = live.get('kept') as Gateway;
    expect(gateway.metrics().cacheEntries).toBe(2);
    expect(store.removeRun('gone')).toEqual({ recordings: 2, cacheEntries: 1 });
    expect(store.run('gone')).toBeUndefined();
    expect(store.run('kept')).toMatchObject({ calls: 2 });
    expect(gateway.metrics().cacheEntries).toBe(1);
    // the kept run's entry still serves
    const hit = await gateway.execute(scoped('kept'));
    expect(hit.cached).toBe(true);
    expect(store.removeRun('gone')).toEqual({ recordings: 0, cacheEntries: 0 });
    await gateway.close();
    store.close();
  });
});

describe('secretRedactor', () => {
  const redact = secretRedactor([OPENAI_KEY]);
  // A configured key goes wherever it is; a shaped one is recognised as a word of its own.
  const withSecrets = fc
    .array(fc.oneof(fc.string(), fc.constant(OPENAI_KEY), fc.constant(` ${SHAPED}`)), { maxLength: 8 })
    .map((parts) => parts.join(''));

  it('leaves no key in any text, and redacting again changes nothing', () => {
    fc.assert(
      fc.property(withSecrets, (text) => {
        const once = redact(text);
        expect(once).not.toContain(OPENAI_KEY);
        expect(once).not.toContain(SHAPED);
        expect(redact(once)).toBe(once);
      }),
    );
  });

  it('keeps a JSON answer JSON, secret-named fields included', () => {
    const value = fc.dictionary(
      fc.oneof(fc.string(), fc.constantFrom('token', 'api_key', 'password', 'secret')),
      fc.oneof(withSecrets, fc.integer(), fc.constant(null)),
    );
    fc.assert(
      fc.property(value, (v) => {
        const text = redact(JSON.stringify(v));
        expect(() => JSON.parse(text)).not.toThrow();
        expect(text).not.toContain(OPENAI_KEY);
      }),
    );
    expect(redact('{"token": "abcdefgh\\"rest", "tokens": 123456789}')).toBe(
      '{"token": "[redacted]\\"rest", "tokens": 123456789}',
    );
  });
});
