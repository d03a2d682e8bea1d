/**
 * How long a worker waits before trying the database again after `failures` failures in a
 * row: 125 ms doubling to at most one second. A second apart, a worker's attempts cost an
 * unreachable or restarting server nothing, and claiming resumes within about a second of its
 * return however long it was away (a ceiling of 30 s left workers idle up to 30 s after an outage).
 */
export function retryDelayMs(failures: number): number {
  return Math.min(125 * 2 ** Math.max(0, failures - 1), RETRY_DELAY_MAX_MS);
}

/** The longest wait between a worker's attempts to reach the database. */
export const RETRY_DELAY_MAX_MS = 1_000;
