import type { ClaimedJob } from '../../packages/jobmaster/src/worker/worker-events.js';
import { JobStop, type RunningJob } from '../../packages/jobmaster/src/worker/running-jobs.js';

/** A claimed job of task t.k with this id, for tests of the worker's parts without a database. */
export function claimedJob(id: number): ClaimedJob {
  return {
    id: String(id),
    typeKey: 't',
    taskKey: 'k',
    arguments: {},
    priority: 0,
    processUnits: 1,
    attempt: 1,
    maxAttempts: 3,
    traceContext: null,
    waitedSeconds: 0,
    claimedAt: 0,
  };
}

/** That job as started by a worker. */
export function runningJob(job: ClaimedJob): RunningJob {
  return { job, stop: new JobStop(), startedAt: 0, cancelRequested: false };
}
