// The JobMaster tasks the benchmark runs: a no-op, a no-op with one dependency (satisfied by
// a job completed beforehand), and a write-all task that fans out over ten regions.
import { Dependency, defineTask } from 'jobmaster';
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
