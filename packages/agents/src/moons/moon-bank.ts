import { parseSolarSystemConfig, type SolarSystemConfigInput } from '../config.ts';
import { InvalidInputError } from '../errors.ts';
import { assertValidBar, type Bar } from '../market.ts';
import type { Moon, MoonFactory } from './moon.ts';
import { moonFactories } from './registry.ts';
import { buildSnapshot, type MoonSnapshot } from './snapshot.ts';

/** The moons of one symbol, without actors or supervision: for embedding planets in other services. */
export interface MoonBank {
  /**
   * Feeds one bar through every moon (in order) and returns the snapshot. A moon that throws is listed
   * in `failedMoons` with its empty reading; the others carry on.
   * @throws InvalidInputError for a malformed bar or one not later than the previous bar.
   */
  update(bar: Bar, position?: { qty?: number; stopPrice?: number | undefined }): MoonSnapshot;
  /** Anchors the material-change detector at the last bar (call after acting on a reasoned decision). */
  anchor(): void;
}

/** Creates a {@link MoonBank} with the built-in moons configured by `config.moons` and `extraMoons`. */
export function createMoonBank(
  opts: { symbol?: string; config?: SolarSystemConfigInput; extraMoons?: readonly MoonFactory[] } = {},
): MoonBank {
  const config = parseSolarSystemConfig(opts.config);
  const moons: Moon[] = moonFactories(config, opts.extraMoons).map((f) => f());
  const symbol = opts.symbol ?? 'UNKNOWN';
  let barsSeen = 0;
  let lastTime = Number.NEGATIVE_INFINITY;
  return {
    update(bar, position = {}) {
      assertValidBar(bar);
      if (bar.time <= lastTime) {
        throw new InvalidInputError(`bar.time ${bar.time} is not after the previous bar (${lastTime})`, {
          field: 'bar.time',
        });
      }
      lastTime = bar.time;
      barsSeen += 1;
      const readings: Record<string, unknown> = {};
      const failed: string[] = [];
      for (const moon of moons) {
        try {
          readings[moon.name] = moon.update({
            bar,
            readings,
            positionQty: position.qty ?? 0,
            stopPrice: position.stopPrice,
          });
        } catch {
          failed.push(moon.name);
        }
      }
      return buildSnapshot(symbol, bar, barsSeen, readings, failed);
    },
    anchor() {
      for (const moon of moons) moon.anchor?.();
    },
  };
}
