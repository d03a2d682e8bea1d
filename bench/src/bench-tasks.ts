// The JobMaster tasks the benchmark runs: a no-op, a no-op with one dependency (satisfied by
// a job completed beforehand), a write-all task that fans out over ten regions, and the step
// task of two workflows (a three-step chain, and a 1,000-wide fan-out with its fan-in).
import { Dependency, defineTask, defineWorkflow } from 'jobmaster';
import type { BenchPayload } from './systems/system.js';

let hook: (payload: BenchPayload) => void = () => {};

/** Where the worker child counts jobs and measures latency. */
export function onBenchJob(fn: (payload: BenchPayload) => void): void {
  hook = fn;
}

export const REGIONS = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9'] as const;

export const noop = defineTask(
  { typeKey: 'bench', params: { n: { type: 'integer' }, t: { type: 'number' } } },
  function noop(n: number, t = 0): void {
    hook({ n, t });
  },
);

export const prerequisite = defineTask({ typeKey: 'bench', params: { k: { type: 'integer' } } }, function prerequisite(k: number): void {
  hook({ n: k, t: 0 });
});

export const dependent = defineTask(
  {
    typeKey: 'bench',
    dependencies: [Dependency(prerequisite, 24, { k: 1 })],
    params: { n: { type: 'integer' }, t: { type: 'number' } },
  },
  function dependent(n: number, t = 0): void {
    hook({ n, t });
  },
);

export const fan = defineTask(
  {
    typeKey: 'bench',
    writeAll: ['region'],
    params: { region: { type: 'string', selectFrom: [...REGIONS] }, n: { type: 'integer' } },
  },
  function fan(region: string, n: number): void {
    hook({ n, t: 0 });
    void region;
  },
);

/** A workflow step: a no-op that passes its number on as its result. */
export const step = defineTask({ typeKey: 'bench', params: { n: { type: 'integer' } } }, function step(n: number): { n: number } {
  hook({ n, t: 0 });
  return { n };
});

/** Width of the fan-out in the `bench-wide` workflow. */
export const WIDE_STEPS = 1_000;

/** Three steps in a chain, each passing the one before's result on. */
defineWorkflow({
  name: 'bench-chain',
  params: { n: 'integer' },
  steps: [
    { id: 'a', task: step, args: { n: '${{ params.n }}' } },
    { id: 'b', task: step, requires: 'a', args: { n: '${{ steps.a.result.n }}' } },
    { id: 'c', task: step, requires: 'b', args: { n: '${{ steps.b.result.n }}' } },
  ],
});

/** One root, WIDE_STEPS steps in parallel after it, and one step that waits for all of them. */
const wide = Array.from({ length: WIDE_STEPS }, (_, i) => `s${i + 1}`);
defineWorkflow({
  name: 'bench-wide',
  steps: [
    { id: 'root', task: step, args: { n: 0 } },
    ...wide.map((id, i) => ({ id, task: step, requires: 'root', args: { n: i + 1 } })),
    { id: 'join', task: step, requires: wide, args: { n: WIDE_STEPS + 1 } },
  ],
});
