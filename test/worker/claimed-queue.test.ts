// How far ahead a worker claims: only what it would start within the next 50 ms at the pace
// of its recent jobs, never more than a claim batch per claim in flight.
import { expect, test } from 'vitest';
import { ClaimedQueue } from '../../packages/jobmaster/src/worker/claimed-queue.js';
import { claimedJob as job } from './claimed-job.js';

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

test('a second claim in flight counts what the first asked for, and may raise the target to two batches', () => {
  const queue = new ClaimedQueue(10, 1000);
  queue.recordDuration(0.01); // target: a full batch per claim
  expect(queue.wanted(10, 0, 1)).toBe(1000);
  // The first claim of 1,000 is on its way: with one claim the target is already met.
  expect(queue.wanted(10, 1000, 1)).toBe(0);
  expect(queue.wanted(10, 1000, 2)).toBe(1000);
  // Both on their way: nothing more until they return and the queue drains below half.
  expect(queue.wanted(10, 2000, 2)).toBe(0);
  queue.push(Array.from({ length: 900 }, (_, i) => job(i)));
  expect(queue.wanted(10, 1000, 2)).toBe(0);
  // Slow jobs: a second claim changes nothing.
  const slow = new ClaimedQueue(10, 1000);
  slow.recordDuration(1000);
  expect(slow.ahead(2)).toBe(0);
});

test('nextClaim: one claim when none is in flight, never more than the budget could hold', () => {
  const queue = new ClaimedQueue(10, 1000);
  queue.recordDuration(0.01);
  const idle = { free: 10, running: 0, budget: 10_000, claims: 0, claimsWant: 0, backlog: false };
  expect(queue.nextClaim(idle)).toBe(1000);
  expect(queue.nextClaim({ ...idle, budget: 300 })).toBe(300);
  // Slow jobs: the free slots only.
  const slow = new ClaimedQueue(10, 1000);
  slow.recordDuration(1000);
  expect(slow.nextClaim({ ...idle, free: 4, running: 6 })).toBe(4);
});

test('nextClaim: a second claim only with a backlog, for a full batch the budget could hold; never a third', () => {
  const queue = new ClaimedQueue(10, 1000);
  queue.recordDuration(0.01);
  const first = { free: 10, running: 0, budget: 10_000, claims: 1, claimsWant: 1000, backlog: true };
  expect(queue.nextClaim(first)).toBe(1000);
  // No backlog (the last claim came back short): one claim at a time.
  expect(queue.nextClaim({ ...first, backlog: false })).toBe(0);
  // The budget could not hold a second batch beside the first: it would come back empty.
  expect(queue.nextClaim({ ...first, budget: 1500 })).toBe(0);
  expect(queue.nextClaim({ ...first, budget: 2000 })).toBe(1000);
  // Less than a full batch wanted: not worth a second round trip.
  queue.push(Array.from({ length: 400 }, (_, i) => job(i)));
  expect(queue.nextClaim(first)).toBe(0);
  expect(queue.nextClaim({ ...first, claims: 2, claimsWant: 2000 })).toBe(0);
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
