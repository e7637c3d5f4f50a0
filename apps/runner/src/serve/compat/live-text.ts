import type { SecretScrubber } from '../secret-scrubber.ts';

/**
 * A text answer on its way to a streaming client while the model is still writing it. Each piece the
 * provider sends is held back to the last whitespace, and what comes before it is scrubbed
 * ({@link SecretScrubber.scrubAnswer}) and passed on. No credential shape and no configured secret
 * spans whitespace, so a secret split across pieces is still whole when it is scrubbed; when a configured
 * secret does contain whitespace, nothing is passed on before the answer ends.
 */
export class LiveText {
  readonly #scrubber: SecretScrubber;
  readonly #emit: (text: string) => void;
  readonly #holdAll: boolean;
  #pending = '';
  #streamed = false;

  constructor(scrubber: SecretScrubber, emit: (text: string) => void) {
    this.#scrubber = scrubber;
    this.#emit = emit;
    this.#holdAll = scrubber.hasSpacedSecret();
  }

  /** Takes one piece of the model's text (bound, so it can be handed over as a callback). */
  readonly push = (piece: string): void => {
    this.#pending += piece;
    if (this.#holdAll) return;
    const cut = lastSpace(this.#pending);
    if (cut < 0) return;
    const ready = this.#pending.slice(0, cut + 1);
    this.#pending = this.#pending.slice(cut + 1);
    this.#streamed = true;
    this.#emit(this.#scrubber.scrubAnswer(ready));
  };

  /** Whether any piece has been taken: then the client's text is what `push` passed on plus {@link rest}. */
  get streamed(): boolean {
    return this.#streamed || this.#pending !== '';
  }

  /** What the client has not received yet, scrubbed. */
  rest(): string {
    const out = this.#scrubber.scrubAnswer(this.#pending);
    this.#pending = '';
    return out;
  }
}

function lastSpace(text: string): number {
  for (let i = text.length - 1; i >= 0; i--) if (/\s/.test(text[i] as string)) return i;
  return -1;
}
