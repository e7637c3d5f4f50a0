/**
 * The engine's only source of waiting: per-step time limits and recovery's "retry later". Inject one in
 * tests to fire timeouts and delays deterministically instead of sleeping.
 */
export interface Scheduler {
  /**
   * Resolves after `ms` milliseconds; rejects with `signal.reason` as soon as `signal` aborts (and then
   * holds no timer).
   */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

/** Real timers (`setTimeout`). */
export const realScheduler: Scheduler = {
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  },
};
