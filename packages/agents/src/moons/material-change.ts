import { extractFeatures } from './features.ts';
import type { Moon, MoonInput } from './moon.ts';

/**
 * A threshold that grows with the market's own noise: at least `factor` × |the value of `feature` at the
 * anchor|. E.g. `price: { feature: 'atrPct', factor: 1.5 }` makes a price move material only past 1.5
 * ATRs when that is more than the absolute threshold, so a volatile asset does not wake the planets on
 * every ordinary bar.
 */
export interface ScaledThreshold {
  feature: string;
  factor: number;
}

/**
 * Which features moved past their thresholds since the last reasoned decision. The anchor is the
 * feature vector at that decision; {@link MaterialChangeDetector.anchor} moves it. Before the first
 * anchor every watched feature counts as changed (nothing has been reasoned about yet), and a feature
 * that was absent at the anchor counts as changed once it appears. Only features with a threshold are
 * watched. A feature's threshold is max(absolute, its {@link ScaledThreshold} at the anchor).
 */
export class MaterialChangeDetector {
  readonly thresholds: Readonly<Record<string, number>>;
  readonly scaled: Readonly<Record<string, ScaledThreshold>>;
  #anchor: Record<string, number> | null = null;

  constructor(
    thresholds: Readonly<Record<string, number>>,
    scaled: Readonly<Record<string, ScaledThreshold>> = {},
  ) {
    for (const [name, t] of Object.entries(thresholds)) {
      if (!(t > 0)) throw new RangeError(`MaterialChangeDetector: threshold for '${name}' must be > 0`);
    }
    for (const [name, s] of Object.entries(scaled)) {
      if (!(s.factor >= 0))
        throw new RangeError(`MaterialChangeDetector: scale factor for '${name}' must be >= 0`);
    }
    this.thresholds = thresholds;
    this.scaled = scaled;
  }

  /** Names of the watched features that moved by at least their threshold, in threshold order. */
  changed(features: Readonly<Record<string, number>>): string[] {
    const out: string[] = [];
    for (const [name, t] of Object.entries(this.thresholds)) {
      const now = features[name];
      if (now === undefined) continue;
      const then = this.#anchor?.[name];
      if (then === undefined || Math.abs(now - then) >= this.#threshold(name, t)) out.push(name);
    }
    return out;
  }

  #threshold(name: string, absolute: number): number {
    const s = this.scaled[name];
    const base = s === undefined ? undefined : this.#anchor?.[s.feature];
    return s === undefined || base === undefined ? absolute : Math.max(absolute, s.factor * Math.abs(base));
  }

  /** Makes `features` the reference point of later comparisons. */
  anchor(features: Readonly<Record<string, number>>): void {
    this.#anchor = { ...features };
  }

  /** The feature vector of the last reasoned decision, or null before the first. */
  get anchored(): Readonly<Record<string, number>> | null {
    return this.#anchor;
  }
}

/** The detector's reading: this bar's features and which of them changed materially. */
export interface ChangeReading {
  features: Record<string, number>;
  changed: string[];
  /** False during the first `warmupBars` bars, when nothing is reported as changed. */
  warm: boolean;
}

/**
 * The material-change detector as a moon. It updates last (it reads every other moon's reading) and is
 * anchored by the sun after each reasoned decision. Reports no change during `warmupBars` bars, while
 * the indicators are still filling. O(number of features) per bar.
 */
export function materialChangeMoon(
  thresholds: Readonly<Record<string, number>>,
  warmupBars = 35,
  scaled: Readonly<Record<string, ScaledThreshold>> = {},
): Moon<ChangeReading> {
  const detector = new MaterialChangeDetector(thresholds, scaled);
  let bars = 0;
  let last: Record<string, number> = {};
  return {
    name: 'change',
    empty: { features: {}, changed: [], warm: false },
    update({ bar, readings }: MoonInput): ChangeReading {
      bars += 1;
      last = extractFeatures(bar.close, readings);
      const warm = bars > warmupBars;
      return { features: last, changed: warm ? detector.changed(last) : [], warm };
    },
    anchor(): void {
      detector.anchor(last);
    },
  };
}
