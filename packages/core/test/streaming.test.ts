import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LLMProviderError } from '../src/index.ts';
import { SseParser } from '../src/providers/sse.ts';
import { type Harness, harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => h.close());
beforeEach(() => h.server.reset());

const gate = () => {
  let release = () => {};
  const wait = new Promise<void>((r) => {
    release = r;
  });
  return { wait, release };
};

const TEXT = 'Volatility doubled this week, so cut the position by half.';

describe('a streamed answer (LLMRequest.onText)', () => {
  for (const [provider, model] of [
    ['openai', 'cheap'],
    ['anthropic', 'claude'],
  ] as const) {
    it(`${provider}: text reaches the caller while the provider is still writing; the answer and its spend are the same`, async () => {
      const gateway = h.gateway();
      const held = gate();
      h.server.script(model, [{ text: TEXT, usage: { input: 40, output: 13 }, hold: held.wait }]);
      const pieces: string[] = [];
      let beforeRelease = '';
      const res = await gateway.execute({
        task: 'chat',
        messages: [{ role: 'user', content: 'view?' }],
        target: { provider, model },
        onText: (t) => {
          // The server sends one piece, then waits: only a call that passes pieces on as they arrive sees it now.
          if (pieces.length === 0) {
            beforeRelease = t;
            held.release();
          }
          pieces.push(t);
        },
      });
      expect(beforeRelease).toBe('Volatility ');
      expect(pieces.join('')).toBe(TEXT);
      expect(res).toMatchObject({ success: true, text: TEXT, tokensIn: 40, tokensOut: 13, cached: false });
      expect(res.costUsd).toBeGreaterThan(0);
      const sent = h.server.requests[0]?.body as { stream?: unknown; stream_options?: unknown };
      expect(sent.stream).toBe(true);
      if (provider === 'openai') expect(sent.stream_options).toEqual({ include_usage: true });
      expect(gateway.ledger.since(0).at(-1)).toMatchObject({ outcome: 'ok', tokensIn: 40, tokensOut: 13 });
    });
  }

  it('a request with a schema is not streamed: its answer is validated whole', async () => {
    const gateway = h.gateway();
    h.server.script('cheap', [{ json: { action: 'hold' } }]);
    const pieces: string[] = [];
    const res = await gateway.execute({
      task: 'chat',
      messages: [{ role: 'user', content: 'json please' }],
      schema: z.object({ action: z.string() }),
      onText: (t) => pieces.push(t),
    });
    expect(res.parsed).toEqual({ action: 'hold' });
    expect(pieces).toEqual([]);
    expect(h.server.requests[0]?.body).toMatchObject({ stream: false });
  });

  it('an error event mid-stream is a typed provider error, and the call still counts', async () => {
    const gateway = h.gateway();
    h.server.script('claude', [
      {
        rawBody:
          'event: message_start\ndata: {"type":"message_start","message":{"usage":{"input_tokens":5,"output_tokens":1}}}\n\n' +
          'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"internal"}}\n\n',
        headers: { 'content-type': 'text/event-stream' },
      },
    ]);
    const before = gateway.budgetStatus().callsUsed;
    const err = await gateway
      .execute({
        task: 'chat',
        messages: [{ role: 'user', content: 'x' }],
        target: { provider: 'anthropic', model: 'claude' },
        onText: () => {},
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LLMProviderError);
    expect((err as LLMProviderError).message).toMatch(/failed mid-stream: api_error: internal/);
    expect(gateway.budgetStatus().callsUsed).toBe(before + 1);
  });
});

describe('SseParser', () => {
  const events = fc.array(
    fc.record({
      event: fc.option(fc.stringMatching(/^[a-z_]{1,12}$/), { nil: undefined }),
      data: fc.array(
        fc.string().filter((s) => !/[\r\n]/.test(s)),
        { minLength: 1, maxLength: 3 },
      ),
    }),
    { maxLength: 6 },
  );

  it('reads the same events however the body is split, with LF or CRLF line ends', () => {
    fc.assert(
      fc.property(events, fc.boolean(), fc.array(fc.nat(), { maxLength: 8 }), (evs, crlf, cuts) => {
        const nl = crlf ? '\r\n' : '\n';
        const body = evs
          .map(
            (e) =>
              `: comment${nl}${e.event === undefined ? '' : `event: ${e.event}${nl}`}${e.data.map((d) => `data: ${d}${nl}`).join('')}${nl}`,
          )
          .join('');
        const at = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
        const parser = new SseParser();
        const out = [];
        let from = 0;
        for (const c of [...at, body.length]) {
          out.push(...parser.feed(body.slice(from, c)));
          from = c;
        }
        out.push(...parser.end());
        expect(out).toEqual(evs.map((e) => ({ event: e.event, data: e.data.join('\n') })));
      }),
    );
  });
});
