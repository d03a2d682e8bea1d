// How far ahead a worker claims: only what it would start within the next 50 ms at the pace
// of its recent jobs, never more than a claim batch.
import { expect, test } from 'vitest';
import { ClaimedQueue } from '../../packages/jobmaster/src/worker/claimed-queue.js';
import type { ClaimedJob } from '../../packages/jobmaster/src/worker/worker-events.js';

const job = (id: number): ClaimedJob => ({
  id: String(id),
  typeKey: 't',
  taskKey: 'k',
  arguments: {},
  priority: 0,
  processUnits: 1,
  attempt: 1,
  maxAttempts: 3,
});

test('before any job has finished, a worker claims only its free slots', () => {
  const queue = new ClaimedQueue(10, 1000);
  expect(queue.ahead()).toBe(0);
  expect(queue.wanted(10)).toBe(10);
});

test('slow jobs get no claim-ahead: nothing is held back from other workers', () => {
  const queue = new ClaimedQueue(10, 1000);
  queue.recordDuration(1000);
  expect(queue.ahead()).toBe(0);
  expect(queue.wanted(3)).toBe(3);
  expect(queue.wanted(0)).toBe(0);
});

test('quick jobs: the claim-ahead grows with the pace, capped at one claim batch', () => {
  const queue = new ClaimedQueue(10, 1000);
  queue.recordDuration(10); // 10 slots x 50 ms / 10 ms
  expect(queue.ahead()).toBe(50);
  const fast = new ClaimedQueue(10, 1000);
  fast.recordDuration(0.01);
  expect(fast.ahead()).toBe(1000);
  expect(fast.wanted(10)).toBe(1000);
});

test('no claim while the queue can fill the free slots and holds more than half its target', () => {
  const queue = new ClaimedQueue(10, 100);
  queue.recordDuration(0.01); // target: a full batch of 100
  queue.push(Array.from({ length: 60 }, (_, i) => job(i)));
  expect(queue.wanted(10)).toBe(0);
  for (let i = 0; i < 20; i++) queue.take();
  expect(queue.size).toBe(40);
  expect(queue.wanted(10)).toBe(70); // back up to free slots + target
});

test('jobs leave the queue in claim order, and lost or cancelled ones can be taken out', () => {
  const queue = new ClaimedQueue(2, 10);
  queue.push([job(1), job(2), job(3)]);
  expect(queue.take()?.id).toBe('1');
  queue.push([job(4)]);
  expect(queue.remove(new Set(['3'])).map((j) => j.id)).toEqual(['3']);
  expect(queue.ids()).toEqual(['2', '4']);
  expect(queue.takeAll().map((j) => j.id)).toEqual(['2', '4']);
  expect(queue.size).toBe(0);
});
