import { redactDeep, secretRedactor } from '@orrery/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Redactor } from '../src/audit/redact.ts';

describe('Redactor', () => {
  it('redacts the key shapes core redacts (Slack and Google keys included) and secret-named env values', () => {
    const r = Redactor.from({ MY_SERVICE_TOKEN: 'tok-abcdefgh12', HOME: '/home/someone' });
    const slack = `xoxb-${'1234567890'}-abcdef`;
    const google = `AIza${'A'.repeat(35)}`;
    const out = r.text(`a ${slack} b ${google} c tok-abcdefgh12 d /home/someone`);
    expect(out).not.toContain(slack);
    expect(out).not.toContain(google);
    expect(out).not.toContain('tok-abcdefgh12');
    expect(out).toContain('/home/someone');
  });

  it('agrees with core on any text, and value() redacts keys and nested strings', () => {
    const secret = 'sk-proj-0123456789abcdefXYZ';
    const r = new Redactor([secret]);
    const core = secretRedactor([secret]);
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const t = `${a}${secret}${b}`;
        expect(r.text(t)).toBe(core(t));
        expect(r.text(t)).not.toContain(secret);
      }),
    );
    expect(r.value({ [secret]: [secret, 1, { k: `x ${secret}` }] })).toEqual({
      '[redacted]': ['[redacted]', 1, { k: 'x [redacted]' }],
    });
  });

  it('value() returns exactly what core redactDeep returns, keys, order and `__proto__` included, memo or not', () => {
    const secret = 'sk-proj-0123456789abcdefXYZ';
    const r = new Redactor([secret]);
    const core = secretRedactor([secret]);
    const text = fc.oneof(
      fc.string(),
      fc.constantFrom(secret, `token=${'a1'.repeat(6)}`, '__proto__', 'Bearer abcdefgh1234', 'x'.repeat(200)),
    );
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        text,
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value')),
        fc.dictionary(text, tie('value')),
      ),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        const want = redactDeep(v, core);
        // twice: the second pass reads the remembered redactions
        for (const got of [r.value(v), r.value(v)]) {
          expect(JSON.stringify(got)).toBe(JSON.stringify(want));
          expect(got).toStrictEqual(want);
        }
      }),
    );
    const hostile = JSON.parse(`{"__proto__": {"${secret}": 1}, "a": 2}`);
    const got = r.value(hostile) as Record<string, unknown>;
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(Object.keys(got)).toEqual(['__proto__', 'a']);
    expect(got).toStrictEqual(redactDeep(hostile, core));
  });
});
