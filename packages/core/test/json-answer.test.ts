import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { LLMResponseFormatError, parseJsonAnswer, parseRetryAfter, stripJsonFences } from '../src/index.ts';

const target = { provider: 'p', model: 'm' };

describe('JSON answers', () => {
  it('round-trips any JSON value, fenced or not (property)', () => {
    fc.assert(
      fc.property(
        fc.jsonValue(),
        fc.constantFrom('', '```json\n', '```\n', '  ```JSON\n'),
        (value, fence) => {
          const body = JSON.stringify(value);
          const text = fence === '' ? body : `${fence}${body}\n\`\`\`  `;
          expect(parseJsonAnswer(text, z.unknown(), target)).toEqual(JSON.parse(body));
        },
      ),
    );
  });

  it('throws only LLMResponseFormatError for arbitrary text (property)', () => {
    const schema = z.object({ action: z.enum(['buy', 'sell']), size: z.number().min(0) });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          try {
            const parsed = parseJsonAnswer(text, schema, target);
            expect(schema.safeParse(parsed).success).toBe(true);
          } catch (err) {
            expect(err).toBeInstanceOf(LLMResponseFormatError);
            expect((err as LLMResponseFormatError).raw.length).toBeLessThanOrEqual(2_000);
          }
        },
      ),
    );
  });

  it('reports the zod issue paths of a schema violation', () => {
    const schema = z.object({ legs: z.array(z.object({ qty: z.number() })) });
    try {
      parseJsonAnswer('{"legs":[{"qty":1},{"qty":"x"}]}', schema, target);
      expect.unreachable();
    } catch (err) {
      expect((err as LLMResponseFormatError).issues.map((i) => i.path)).toEqual([['legs', 1, 'qty']]);
      expect((err as Error).message).toContain('legs.1.qty');
    }
  });

  it('strips only a surrounding fence', () => {
    expect(stripJsonFences('```json\n{"a":1}\n```')).toBe('{"a":1}');
    expect(stripJsonFences('{"a":"```"}')).toBe('{"a":"```"}');
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates relative to now (property)', () => {
    const now = Date.UTC(2026, 0, 1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400 }), (seconds) => {
        expect(parseRetryAfter(String(seconds), now)).toBe(seconds * 1000);
        expect(parseRetryAfter(new Date(now + seconds * 1000).toUTCString(), now)).toBe(seconds * 1000);
      }),
    );
    expect(parseRetryAfter(new Date(now - 5_000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
