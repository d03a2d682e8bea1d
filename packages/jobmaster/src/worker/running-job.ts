import type { ClaimedJob } from './worker-events.js';

/** A job whose function this worker is running, with the means to stop it. */
export interface RunningJob {
  job: ClaimedJob;
  /** Aborts the JobContext signal: cancellation, a lost lease, or the end of the grace period. */
  controller: AbortController;
  /** `performance.now()` when the function was called. */
  startedAt: number;
  /** Someone asked to cancel it (`jobs.cancel_requested`); it ends as 'cancelled'. */
  cancelRequested: boolean;
}
