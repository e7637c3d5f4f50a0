import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServeHarness, serveHarness, syntheticBars } from './support/serve-harness.ts';

let h: ServeHarness;
beforeAll(async () => {
  h = await serveHarness();
});
afterAll(async () => h.close());

/**
 * Every answer is a 2xx or a 4xx with a typed reason. The only 5xx allowed are the provider's own failures
 * (a timeout the body asked for, a 5xx upstream) as 502/504 with their LLM code; never a 500.
 */
function expectHandled(res: { statusCode: number; body: string }): void {
  if (res.statusCode >= 500) {
    // Only the provider's own failures (a timeout, a 5xx upstream) may surface as 502/504; never a 500.
    expect([502, 504], res.body).toContain(res.statusCode);
    expect(JSON.parse(res.body).error.code).toMatch(/^ORRERY_LLM_(TIMEOUT|PROVIDER)$/);
    return;
  }
  if (res.statusCode >= 400) {
    const body = JSON.parse(res.body) as { success?: boolean; error?: { code?: unknown; message?: unknown } };
    expect(body.success).toBe(false);
    expect(body.error?.code).toEqual(expect.stringMatching(/^ORRERY_/));
    expect(body.error?.message).toEqual(expect.any(String));
  }
}

const anything = fc.jsonValue({ maxDepth: 4 });
const jsonSchemaLike = fc.letrec<{ schema: unknown }>((tie) => ({
  schema: fc.oneof(
    { depthSize: 'small' },
    fc.record({ type: fc.constantFrom('string', 'number', 'integer', 'boolean', 'null') }),
    fc.record(
      {
        type: fc.constant('object'),
        properties: fc.dictionary(fc.constantFrom('a', 'b', 'action'), tie('schema'), { maxKeys: 2 }),
        required: fc.array(fc.constantFrom('a', 'b', 'action'), { maxLength: 2 }),
        additionalProperties: fc.boolean(),
      },
      { requiredKeys: ['type'] },
    ),
    fc.record(
      { type: fc.constant('array'), items: tie('schema'), minItems: fc.nat(3) },
      { requiredKeys: ['type'] },
    ),
    fc.record({ enum: fc.array(fc.jsonValue({ maxDepth: 1 }), { minLength: 1, maxLength: 3 }) }),
    fc.record({ anyOf: fc.array(tie('schema'), { minLength: 1, maxLength: 2 }) }),
    fc.record({ $ref: fc.constantFrom('#/$defs/x', 'http://elsewhere/', '#') }),
    fc.record({ not: tie('schema') }),
    fc.boolean(),
  ),
}));
/** A valid body, then — half the time — one field replaced by anything, or dropped. */
const corrupted = <T extends Record<string, unknown>>(valid: fc.Arbitrary<T>, keys: readonly string[]) =>
  fc
    .tuple(valid, fc.boolean(), fc.constantFrom(...keys, 'unexpected'), fc.option(anything))
    .map(([body, corrupt, key, value]) => {
      if (!corrupt) return body as Record<string, unknown>;
      const copy: Record<string, unknown> = { ...body };
      if (value === null) delete copy[key];
      else copy[key] = value;
      return copy;
    });
const message = fc.record({
  role: fc.constantFrom('system', 'user', 'assistant'),
  content: fc.string({ maxLength: 40 }),
});
const executeLike = corrupted(
  fc.record(
    {
      task: fc.constantFrom('summarise_news', 'planet_analysis', 'nowhere'),
      messages: fc.array(message, { minLength: 1, maxLength: 3 }),
      answerSchema: jsonSchemaLike.schema,
      critical: fc.boolean(),
      maxTokens: fc.integer({ min: 1, max: 500 }),
      temperature: fc.double({ min: 0, max: 2, noNaN: true }),
      timeoutMs: fc.integer({ min: 1, max: 60_000 }),
      mode: fc.constantFrom('MONITOR_ONLY', 'LIGHT_REASONING', 'FULL_AGENT'),
      target: fc.record({
        provider: fc.constantFrom('openai', 'nope'),
        model: fc.constantFrom('serve-model', 'x'),
      }),
      cache: fc.record({ ttlMs: fc.integer({ min: 0, max: 100_000 }) }),
    },
    { requiredKeys: ['task', 'messages'] },
  ),
  ['task', 'messages', 'answerSchema', 'critical', 'maxTokens', 'temperature', 'mode', 'cache', 'chainId'],
);
const bar = fc
  .record({
    time: fc.integer({ min: 0, max: 2_000_000_000_000 }),
    low: fc.double({ min: 1, max: 100, noNaN: true }),
    span: fc.double({ min: 0, max: 10, noNaN: true }),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    volume: fc.double({ min: 0, max: 1e6, noNaN: true }),
  })
  .map(({ time, low, span, at, volume }) => ({
    time,
    open: low + span * at,
    high: low + span,
    low,
    close: low + span * (1 - at),
    volume,
  }));
const reading = fc.dictionary(
  fc.constantFrom('rsi', 'emaFast', 'smaSlow', 'trend', 'critical', 'features', 'var'),
  anything,
  {
    maxKeys: 2,
  },
);
const readings = fc.dictionary(
  fc.constantFrom('rsi', 'macd', 'ma', 'regime', 'alerts', 'change', 'var', 'custom'),
  fc.oneof(reading, fc.constant({})),
  { maxKeys: 3 },
);
const analyzeLike = fc.oneof(
  corrupted(
    fc.record(
      {
        symbol: fc.constantFrom('SPY', 'BTC'),
        bars: fc.oneof(fc.array(bar, { minLength: 1, maxLength: 5 }), fc.constant(syntheticBars(60))),
        news: fc.array(fc.string({ maxLength: 50 }), { maxLength: 3 }),
        portfolio: fc.record({
          equity: fc.double({ min: -10, max: 1e6, noNaN: true }),
          cash: fc.double({ min: -10, max: 1e6, noNaN: true }),
          positions: fc.dictionary(
            fc.constantFrom('SPY', 'BTC'),
            fc.record({ qty: fc.double({ noNaN: true }), avgPrice: fc.double({ noNaN: true }) }),
          ),
        }),
        mode: fc.constantFrom('MONITOR_ONLY', 'LIGHT_REASONING'),
      },
      { requiredKeys: ['bars'] },
    ),
    ['symbol', 'bars', 'news', 'portfolio', 'mode', 'snapshot'],
  ),
  corrupted(
    fc.record(
      {
        snapshot: fc.record(
          {
            symbol: fc.constantFrom('SPY', 'BTC'),
            bar,
            barsSeen: fc.integer({ min: 1, max: 500 }),
            readings,
          },
          { requiredKeys: ['symbol', 'bar', 'barsSeen'] },
        ),
        mode: fc.constantFrom('MONITOR_ONLY', 'LIGHT_REASONING'),
      },
      { requiredKeys: ['snapshot'] },
    ),
    ['snapshot', 'mode', 'bars'],
  ),
);
const chainLike = corrupted(
  fc.record(
    {
      maxTokens: fc.integer({ min: 1, max: 10_000 }),
      maxCostUsd: fc.double({ min: 0, max: 10, noNaN: true }),
      name: fc.constantFrom('http', 'sun', 'bad name'),
    },
    { requiredKeys: ['maxTokens'] },
  ),
  ['maxTokens', 'maxCostUsd', 'name'],
);

describe('fuzzed bodies never yield a 5xx', () => {
  it('POST /execute with arbitrary JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anything, executeLike), async (body) => {
        expectHandled(
          await h.app.inject({
            method: 'POST',
            url: '/execute',
            payload: JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          }),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('POST /execute with arbitrary bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (raw) => {
        expectHandled(
          await h.app.inject({
            method: 'POST',
            url: '/execute',
            headers: { 'content-type': 'application/json' },
            payload: raw,
          }),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('POST /planets/:name/analyze and /chains with arbitrary JSON', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('technical', 'risk', 'sentiment', 'execution', 'nope'),
        fc.oneof(anything, analyzeLike),
        fc.oneof(anything, chainLike),
        async (planet, body, chainBody) => {
          expectHandled(
            await h.app.inject({
              method: 'POST',
              url: `/planets/${planet}/analyze`,
              payload: JSON.stringify(body),
              headers: { 'content-type': 'application/json' },
            }),
          );
          expectHandled(
            await h.app.inject({
              method: 'POST',
              url: '/chains',
              payload: JSON.stringify(chainBody),
              headers: { 'content-type': 'application/json' },
            }),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
