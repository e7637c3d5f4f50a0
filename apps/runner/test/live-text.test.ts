import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LiveText } from '../src/serve/compat/live-text.ts';
import { SecretScrubber } from '../src/serve/secret-scrubber.ts';

const KEY = 'prov-key-7c1d9e2f';
const SHAPED = 'sk-abcdefghijklmnopqrstuvwxyz012345';

/** A text of words, spaces and secrets, cut into pieces at random places. */
const cutText = fc
  .array(fc.oneof(fc.constantFrom(KEY, SHAPED, ' ', '\n', ', '), fc.stringMatching(/^[a-z.]{1,6}$/)), {
    maxLength: 30,
  })
  .chain((parts) => {
    const text = parts.join('');
    return fc
      .array(fc.nat({ max: text.length }), { maxLength: 12 })
      .map((cuts) => ({ text, cuts: [...new Set(cuts)].sort((a, b) => a - b) }));
  });

function stream(scrubber: SecretScrubber, text: string, cuts: number[]): { sent: string[]; rest: string } {
  const sent: string[] = [];
  const live = new LiveText(scrubber, (t) => sent.push(t));
  let from = 0;
  for (const c of [...cuts, text.length]) {
    if (c > from) live.push(text.slice(from, c));
    from = Math.max(from, c);
  }
  return { sent, rest: live.rest() };
}

describe('LiveText: a streamed answer, scrubbed while it is written', () => {
  it('sends exactly the scrubbed answer, however the model cut it, and never a secret', () => {
    const scrubber = new SecretScrubber([KEY]);
    fc.assert(
      fc.property(cutText, ({ text, cuts }) => {
        const { sent, rest } = stream(scrubber, text, cuts);
        expect(sent.join('') + rest).toBe(scrubber.scrubAnswer(text));
        for (const piece of [...sent, rest]) {
          expect(piece).not.toContain(KEY.slice(0, 9));
          // nothing in a piece that the scrubber would still replace: no secret cut so as to slip through
          expect(scrubber.scrubAnswer(piece)).toBe(piece);
        }
      }),
    );
  });

  it('passes text on at each whitespace, before the answer ends', () => {
    const { sent } = stream(new SecretScrubber([KEY]), 'cut the position now', [4, 9, 13]);
    expect(sent).toEqual(['cut ', 'the ', 'position ']);
  });

  it('holds everything back when a configured secret contains whitespace', () => {
    const scrubber = new SecretScrubber(['pass phrase 42']);
    const { sent, rest } = stream(scrubber, 'the pass phrase 42 is here', [5, 9, 12]);
    expect(sent).toEqual([]);
    expect(rest).toBe('the [redacted] is here');
  });
});
