import { setTimeout as delay } from 'node:timers/promises';

/** Wall-clock time in epoch milliseconds (sub-ms resolution) plus an abortable sleep. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

// performance.timeOrigin + now() is monotonic within a process and comparable
// across processes on one machine, which the records of several drivers need.
export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: async (ms, signal) => {
    await delay(Math.max(0, ms), undefined, signal ? { signal } : undefined);
  },
};
