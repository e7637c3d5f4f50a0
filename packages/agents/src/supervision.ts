import type { Clock } from '@orrery/core';

/** How a supervisor treats a child that fails. */
export interface RestartPolicy {
  /** Restarts allowed within `windowMs` before the child is given up on. */
  maxRestarts: number;
  /** The sliding window, in ms of the injected clock. */
  windowMs: number;
  /** When restarts are exhausted: stop that child and carry on without it, or escalate to the parent. */
  onExhausted: 'stop' | 'escalate';
}

/** What to do with a child that just failed. */
export type SupervisionVerdict = 'restart' | 'stop' | 'escalate';

/**
 * Restart bookkeeping for a set of children (one sun's moons and planets): a child that fails is
 * restarted while it has failed at most `maxRestarts` times within the last `windowMs` (by the injected
 * clock, so tests advance time instead of sleeping); past that it is stopped for good, or the failure
 * escalates. Failures older than the window are forgotten.
 */
export class Supervisor {
  readonly policy: Readonly<RestartPolicy>;
  readonly #clock: Clock;
  readonly #restarts = new Map<string, number[]>();
  readonly #stopped = new Set<string>();

  constructor(policy: RestartPolicy, clock: Clock) {
    this.policy = { ...policy };
    this.#clock = clock;
  }

  /** Records a failure of `child` and returns the verdict. A stopped child stays stopped. */
  failed(child: string): SupervisionVerdict {
    if (this.#stopped.has(child)) return 'stop';
    const now = this.#clock.now();
    const recent = (this.#restarts.get(child) ?? []).filter((t) => now - t < this.policy.windowMs);
    if (recent.length < this.policy.maxRestarts) {
      recent.push(now);
      this.#restarts.set(child, recent);
      return 'restart';
    }
    this.#restarts.set(child, recent);
    if (this.policy.onExhausted === 'escalate') return 'escalate';
    this.#stopped.add(child);
    return 'stop';
  }

  /** True once `child` exhausted its restarts under a `stop` policy. */
  isStopped(child: string): boolean {
    return this.#stopped.has(child);
  }

  /** Restarts of `child` within the current window. */
  restarts(child: string): number {
    const now = this.#clock.now();
    return (this.#restarts.get(child) ?? []).filter((t) => now - t < this.policy.windowMs).length;
  }

  /** Children stopped for good. */
  stopped(): string[] {
    return [...this.#stopped].sort();
  }
}
