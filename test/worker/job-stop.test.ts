// A job's stop signal is made only when its code reads it; an abort before then still counts.
import { expect, test } from 'vitest';
import { JobStop } from '../../packages/jobmaster/src/worker/running-jobs.js';

test('a signal read after the abort starts aborted, with the reason', () => {
  const stop = new JobStop();
  const reason = new Error('the job was cancelled');
  stop.abort(reason);
  expect(stop.signal.aborted).toBe(true);
  expect(stop.signal.reason).toBe(reason);
});

test('a signal read before the abort fires once, with the first reason', () => {
  const stop = new JobStop();
  const signal = stop.signal;
  let fired = 0;
  signal.addEventListener('abort', () => fired++);
  const first = new Error('the job was cancelled');
  stop.abort(first);
  stop.abort(new Error('the worker is shutting down'));
  expect(fired).toBe(1);
  expect(signal.reason).toBe(first);
  expect(stop.signal).toBe(signal);
});
