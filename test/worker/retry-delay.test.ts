// The one retry schedule of a worker's claims, outcome writes and LISTEN reconnects: it once
// grew to 30 s, and a worker sat idle that long after an outage with the database back.
import { expect, test } from 'vitest';
import { RETRY_DELAY_MAX_MS, retryDelayMs } from '../../packages/jobmaster/src/worker/retry-delay.js';

test('retries double from 125 ms and never wait more than a second, however many have failed', () => {
  expect([1, 2, 3, 4].map(retryDelayMs)).toEqual([125, 250, 500, 1_000]);
  expect(RETRY_DELAY_MAX_MS).toBe(1_000);
  for (const failures of [5, 10, 30, 1_000, 1e6]) expect(retryDelayMs(failures)).toBe(1_000);
});
