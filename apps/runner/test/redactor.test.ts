import { secretRedactor } from '@orrery/core';
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
});
