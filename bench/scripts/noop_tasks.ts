// The task the embedded-database benchmark runs: does nothing, so the figures are the queue's.
import { defineTask } from 'jobmaster';

export const noop = defineTask({ params: { n: { type: 'integer' } } }, function noop(n: number): number {
  return n;
});
