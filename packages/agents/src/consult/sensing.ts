import { type Bus, createMoonCritical, createMoonReading } from '@orrery/bus';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import type { MessageLog } from './message-log.ts';

/**
 * The moons' side of a cycle on the bus: the material-change moon's `moon.reading` (metric
 * `material-change`, value the number of features past their thresholds, the feature vector as
 * `features`) and one `moon.critical` from the alerts moon per critical update, all to the sun. One
 * reading per bar, not one per moon: the feature vector is what the sun's mode choice reads, and a
 * message costs ~10 µs to build and validate. Returns the error instead of throwing (a symbol too long
 * for the catalogue, say): sensing goes on without the bus.
 */
export function publishSensing(bus: Bus, s: MoonSnapshot, log: MessageLog): Error | null {
  if (bus.closed) return null;
  try {
    const features: Record<string, number> = {};
    for (const k of Object.keys(s.features)) {
      const v = s.features[k] as number;
      if (Number.isFinite(v)) features[k] = v;
    }
    const barTime = Number.isSafeInteger(s.bar.time) && s.bar.time >= 0 ? { barTime: s.bar.time } : {};
    bus.publish(
      createMoonReading(
        {
          sender: 'moon.change',
          recipient: 'sun',
          payload: {
            symbol: s.symbol,
            metric: 'material-change',
            value: s.changedFeatures.length,
            ...barTime,
            features,
          },
        },
        { clock: { now: () => s.bar.time } },
      ),
    );
    log.add('moon.reading', 'moon.change');
    for (const reason of s.criticalUpdates) {
      bus.publish(
        createMoonCritical(
          {
            sender: 'moon.alerts',
            recipient: 'sun',
            payload: {
              symbol: s.symbol,
              metric: 'critical',
              value: 1,
              reason: reason.slice(0, 2000) || 'critical',
            },
          },
          { clock: { now: () => s.bar.time } },
        ),
      );
      log.add('moon.critical', 'moon.alerts');
    }
    return null;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/**
 * The critical updates of a bar still forming, each as a `moon.critical` to the sun (priority
 * `critical`, metric `critical.intrabar`, stamped `asOf`): what wakes the sun between bar closes. No
 * `moon.reading` is sent (the bar's reading is published once, at its close). Returns the error instead
 * of throwing, like {@link publishSensing}.
 */
export function publishCriticals(bus: Bus, s: MoonSnapshot, log: MessageLog, asOf: number): Error | null {
  if (bus.closed) return null;
  try {
    for (const reason of s.criticalUpdates) {
      bus.publish(
        createMoonCritical(
          {
            sender: 'moon.alerts',
            recipient: 'sun',
            payload: {
              symbol: s.symbol,
              metric: 'critical.intrabar',
              value: 1,
              reason: reason.slice(0, 2000),
            },
          },
          { clock: { now: () => asOf } },
        ),
      );
      log.add('moon.critical', 'moon.alerts');
    }
    return null;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
