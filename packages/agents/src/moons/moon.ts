import type { Bar } from '../market.ts';

/** What a moon sees on each bar. */
export interface MoonInput {
  readonly bar: Bar;
  /** Readings of the moons updated earlier on this bar, by moon name (moons update in a fixed order). */
  readonly readings: Readonly<Record<string, unknown>>;
  /** Signed quantity held in the symbol (0 when flat). */
  readonly positionQty: number;
  /** The active stop price of the open position, if any. */
  readonly stopPrice?: number | undefined;
}

/**
 * A streaming calculator: one bar in, one reading out, constant work per bar, never an LLM.
 * A moon is pure apart from its own running state; `empty` is its reading before it has data (and the
 * reading used for a bar on which the moon failed).
 */
export interface Moon<R = unknown> {
  /** Unique within a solar system; the key of its reading in the snapshot. */
  readonly name: string;
  readonly empty: R;
  update(input: MoonInput): R;
  /**
   * The reading `update(input)` would return, without committing anything: the same running state
   * before and after. Used on a bar still forming (live intrabar sensing), so that the bar's final close
   * is processed exactly once. Absent: the moon cannot preview a bar (see {@link peekable}).
   */
  peek?(input: MoonInput): R;
  /** Called when a reasoned decision is made (only the material-change detector uses it). */
  anchor?(): void;
}

/** Builds a fresh moon (used at start and on every supervised restart). */
export type MoonFactory = () => Moon;

/**
 * A moon that can always be peeked: its own `peek` when it has one, else the reading of the last bar it
 * committed (`empty` before any) — so a forming bar is sensed by the moons that can preview it and the
 * others report what they knew at the last close. `update` and `anchor` pass through unchanged.
 */
export function peekable(create: MoonFactory): MoonFactory {
  return () => {
    const moon = create();
    if (moon.peek !== undefined) return moon;
    let last: unknown = moon.empty;
    return {
      name: moon.name,
      empty: moon.empty,
      update(input: MoonInput): unknown {
        last = moon.update(input);
        return last;
      },
      peek: () => last,
      ...(moon.anchor === undefined ? {} : { anchor: () => moon.anchor!() }),
    };
  };
}
