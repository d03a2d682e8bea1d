// The outcome writer batches: one write while outcomes trickle in, a second beside it once
// enough have queued behind the first (as a second worker's would), never a third.
import { expect, test } from 'vitest';
import {
  MAX_WRITES_IN_FLIGHT,
  OutcomeWriter,
  SECOND_WRITE_MIN,
  type RecordedOutcome,
} from '../../packages/jobmaster/src/worker/outcome-writer.js';
import type { RunningJob } from '../../packages/jobmaster/src/worker/running-jobs.js';
import { claimedJob, runningJob } from './claimed-job.js';
import type { WorkerQueries } from '../../packages/jobmaster/src/worker/worker-queries.js';

const running = (id: number): RunningJob => runningJob(claimedJob(id));

function writer() {
  const writes: Array<{ ids: string[]; finish: () => void }> = [];
  const queries = {
    complete: (_worker: string, results: Array<{ id: string }>) =>
      new Promise((resolve) => {
        writes.push({ ids: results.map((r) => r.id), finish: () => resolve({ lost: new Set(), refused: new Map() }) });
      }),
  } as unknown as WorkerQueries;
  const recorded: RecordedOutcome[] = [];
  const w = new OutcomeWriter(
    queries,
    'w',
    1000,
    (r) => recorded.push(r),
    () => {},
  );
  let next = 1;
  const add = (count: number): void => {
    for (let i = 0; i < count; i++) w.add({ job: running(next++), kind: 'complete', json: 'null' });
  };
  return { w, writes, recorded, add };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('a second write goes out beside the first only once enough outcomes wait, and never a third', async () => {
  expect(MAX_WRITES_IN_FLIGHT).toBe(2);
  const { w, writes, recorded, add } = writer();
  add(1);
  await turn();
  expect(writes.map((x) => x.ids.length)).toEqual([1]);
  add(SECOND_WRITE_MIN - 1); // too few to split off
  await turn();
  expect(writes).toHaveLength(1);
  add(1);
  await turn();
  expect(writes.map((x) => x.ids.length)).toEqual([1, SECOND_WRITE_MIN]);
  add(500); // both busy: these wait
  await turn();
  expect(writes).toHaveLength(2);
  writes[0]!.finish();
  await turn();
  await turn();
  expect(writes.map((x) => x.ids.length)).toEqual([1, SECOND_WRITE_MIN, 500]);
  writes[1]!.finish();
  writes[2]!.finish();
  await w.idle();
  expect(recorded).toHaveLength(1 + SECOND_WRITE_MIN + 500);
  expect(new Set(recorded.map((r) => r.job.job.id)).size).toBe(recorded.length);
});
